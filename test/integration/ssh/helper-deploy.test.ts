import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchFailure } from '../../../main/errors';
import { deployHelper, loadHelperBundle, removeHelper, type HelperBundle } from '../../../main/helper-client/helper-deploy';
import { helperHello } from '../../../main/helper-client/helper-handshake';
import { createHostKeyVerifier } from '../../../main/ssh/host-key-verifier';
import { runRemoteChecked, runRemoteCommand } from '../../../main/ssh/remote-command';
import { openSshConnection, type SshConnection } from '../../../main/ssh/ssh-connect';
import { cleanupAll, ensureTestUser, generateKey, makeTempDir, startSshd, type RunningSshd } from '../../support/sshd';

const deployUser = 'civic-deploytest';

async function failureOf(promise: Promise<unknown>): Promise<WorkbenchFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WorkbenchFailure) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('helper deployment over SFTP to a real sshd', () => {
  let dir: string;
  let sshd: RunningSshd;
  let connection: SshConnection;
  let removeUser: () => Promise<void> = async () => undefined;
  let bundle: HelperBundle;

  beforeAll(async () => {
    dir = await makeTempDir('civic-deploy-');
    const key = join(dir, 'id_test');
    const publicKey = await generateKey(key);
    removeUser = await ensureTestUser(deployUser, 'unused-Password-1');
    sshd = await startSshd({ authorizedKeys: [publicKey] });
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
    connection = await openSshConnection(
      { jumps: [], target: { host: '127.0.0.1', port: sshd.port, user: deployUser, identityFiles: [key] } },
      {
        verifier: createHostKeyVerifier({ userKnownHostsFiles: [], appKnownHostsFile: knownHosts, confirmUnknownHost: async () => false }),
        prompt: async () => null,
      },
    );

    const helper = join(dir, 'helper');
    await mkdir(join(helper, 'civic_helper', '__pycache__'), { recursive: true });
    await mkdir(join(helper, 'tests'), { recursive: true });
    await mkdir(join(helper, 'data'), { recursive: true });
    await writeFile(join(helper, 'civic-helper'), '#!/usr/bin/env python3\nimport json, sys\nprint(json.dumps({"type": "hello", "protocolVersion": 1, "helperVersion": "1.2.3", "capabilities": ["clone"]}))\nsys.exit(0 if sys.argv[1:] == ["hello"] else 1)\n');
    await chmod(join(helper, 'civic-helper'), 0o755);
    await writeFile(join(helper, 'civic_helper', '__init__.py'), '');
    await writeFile(join(helper, 'civic_helper', 'my module.py'), 'VALUE = 1\n');
    await writeFile(join(helper, 'civic_helper', '__pycache__', 'x.cpython-311.pyc'), 'cache');
    await writeFile(join(helper, 'tests', 'test_x.py'), 'pass\n');
    await writeFile(join(helper, 'data', "ünï $(x) 'q'.txt"), 'data\n');
    bundle = await loadHelperBundle(helper, '1.2.3');
  });

  afterAll(() =>
    cleanupAll([
      async () => {
        if (connection && !connection.closed) {
          await removeHelper(connection).catch(() => undefined);
          connection.close();
        }
      },
      () => sshd?.stop(),
      () => removeUser(),
      () => rm(dir, { recursive: true, force: true }),
    ]),
  );

  it('ships every file but tests/ and __pycache__/', () => {
    expect(bundle.files.map((file) => file.path)).toEqual([
      'civic-helper',
      'civic_helper/__init__.py',
      'civic_helper/my module.py',
      "data/ünï $(x) 'q'.txt",
    ]);
    expect(bundle.folderName).toMatch(/^1\.2\.3-[0-9a-f]{16}$/);
  });

  it('uploads everything once, nothing the second time, and replaces a tampered file', async () => {
    const first = await deployHelper(connection, bundle);
    expect(first).toMatchObject({ total: 4, uploaded: 4, replaced: 0, removedExtra: 0 });
    expect(first.remoteDir).toBe(`/home/${deployUser}/.cache/civic-workbench/helper/${bundle.folderName}`);
    const modes = await runRemoteChecked(connection, ['stat', '-c', '%a %n', posix.join(first.remoteDir, 'civic-helper'), posix.join(first.remoteDir, 'civic_helper/my module.py')], 'INTERNAL');
    expect(modes.trim().split('\n').map((line) => line.split(' ')[0])).toEqual(['700', '600']);

    const second = await deployHelper(connection, bundle);
    expect(second).toMatchObject({ total: 4, uploaded: 0, replaced: 0, removedExtra: 0 });

    await runRemoteChecked(connection, ['sh', '-c', 'echo "import os" >> "$1"', 'sh', posix.join(first.remoteDir, 'civic_helper/my module.py')], 'INTERNAL');
    await runRemoteChecked(connection, ['touch', posix.join(first.remoteDir, 'civic_helper/os.py')], 'INTERNAL');
    const third = await deployHelper(connection, bundle);
    expect(third).toMatchObject({ total: 4, uploaded: 1, replaced: 1, removedExtra: 1 });
    const content = await runRemoteChecked(connection, ['cat', posix.join(first.remoteDir, 'civic_helper/my module.py')], 'INTERNAL');
    expect(content).toBe('VALUE = 1\n');
    expect((await deployHelper(connection, bundle)).uploaded).toBe(0);
  });

  it('answers the version handshake and refuses another version', async () => {
    const { remoteDir } = await deployHelper(connection, bundle);
    expect(await helperHello(connection, remoteDir, { helperVersion: '1.2.3', protocolVersion: 1 })).toEqual({
      helperVersion: '1.2.3',
      protocolVersion: 1,
      capabilities: ['clone'],
    });
    expect((await failureOf(helperHello(connection, remoteDir, { helperVersion: '9.9.9', protocolVersion: 1 }))).code).toBe('HELPER_VERSION_MISMATCH');
    expect((await failureOf(helperHello(connection, remoteDir, { helperVersion: '1.2.3', protocolVersion: 2 }))).code).toBe('HELPER_VERSION_MISMATCH');
  });

  it('deploys the real helper folder the app ships and reads its hello', async () => {
    const shipped = await loadHelperBundle(resolve('resources/helper'), '0.1.0');
    expect(shipped.files.some((file) => file.path.startsWith('tests/'))).toBe(false);
    const report = await deployHelper(connection, shipped);
    expect(report.uploaded).toBe(shipped.files.length);
    expect((await deployHelper(connection, shipped)).uploaded).toBe(0);
    if (shipped.files.some((file) => file.path === 'civic-helper')) {
      const hello = await helperHello(connection, report.remoteDir, { helperVersion: '0.1.0', protocolVersion: 1 });
      expect(hello.helperVersion).toBe('0.1.0');
    }
    await removeHelper(connection, shipped.folderName);
  });

  it('removes a deployed folder', async () => {
    const { remoteDir } = await deployHelper(connection, bundle);
    expect(await removeHelper(connection, bundle.folderName)).toBe(remoteDir);
    expect((await runRemoteCommand(connection, ['test', '-e', remoteDir])).exitCode).toBe(1);
    expect((await failureOf(removeHelper(connection, '../..'))).code).toBe('VALIDATION_FAILED');
  });
});
