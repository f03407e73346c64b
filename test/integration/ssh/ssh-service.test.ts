import { execFile } from 'node:child_process';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionStateEvent } from '../../../preload/api';
import { createHelperAccess, type HelperAccess } from '../../../main/helper-client/helper-access';
import { createHostSettingsStore } from '../../../main/hosts/host-settings';
import type { UnknownHostKey } from '../../../main/ssh/host-key-verifier';
import { createSshService, type SshService } from '../../../main/ssh/ssh-service';
import { cleanupAll, generateKey, makeTempDir, startSshd, type RunningSshd } from '../../support/sshd';

const run = promisify(execFile);

describe('the SSH service from ~/.ssh/config to a deployed helper', () => {
  let home: string;
  let jump: RunningSshd;
  let target: RunningSshd;
  let service: SshService;
  let helper: HelperAccess;
  const events: SessionStateEvent[] = [];
  const unknown: UnknownHostKey[] = [];
  // The lab host is this machine as root: the helper lands in /root/.cache, which must be left as found.
  const cacheRoot = '/root/.cache/civic-workbench';
  let cacheExisted = true;

  beforeAll(async () => {
    cacheExisted = await access(cacheRoot).then(() => true, () => false);
    home = await makeTempDir('civic-home-');
    const sshDir = join(home, '.ssh');
    await mkdir(join(sshDir, 'config.d'), { recursive: true });
    const publicKey = await generateKey(join(sshDir, 'id_ed25519'));
    jump = await startSshd({ authorizedKeys: [publicKey] });
    target = await startSshd({ authorizedKeys: [publicKey] });
    await writeFile(join(sshDir, 'config'), 'Include config.d/*.conf\nHost *\n  User root\n');
    await writeFile(
      join(sshDir, 'config.d', 'lab.conf'),
      [`Host jump`, `  HostName 127.0.0.1`, `  Port ${jump.port}`, `Host lab`, `  HostName 127.0.0.1`, `  Port ${target.port}`, `  ProxyJump jump`].join('\n'),
    );
    // The user's known_hosts knows the jump host (hashed, as Debian's HashKnownHosts does); the lab is new.
    await writeFile(join(sshDir, 'known_hosts'), `[127.0.0.1]:${jump.port} ${jump.hostPublicKey}\n`);
    await run('ssh-keygen', ['-H', '-f', join(sshDir, 'known_hosts')]);
    service = createSshService({
      homeDir: home,
      localUser: 'nobody-local',
      dataDir: join(home, 'app-data'),
      confirmUnknownHost: async (key) => {
        unknown.push(key);
        return true;
      },
      prompt: async () => null,
      onState: (event) => events.push(event),
    });
    helper = createHelperAccess({ ssh: service, helperRoot: resolve('resources/helper'), settings: createHostSettingsStore(join(home, 'app-data')) });
  });

  afterAll(() =>
    cleanupAll([
      async () => {
        if (!service) return;
        await helper.remove('ssh-config:lab').catch(() => undefined);
        service.close();
      },
      () => target?.stop(),
      () => jump?.stop(),
      () => rm(home, { recursive: true, force: true }),
      () => (cacheExisted ? undefined : rm(cacheRoot, { recursive: true, force: true })),
    ]),
  );

  it('lists hosts from the config with its Include', async () => {
    expect(await service.listHosts()).toEqual([
      { id: 'ssh-config:jump', alias: 'jump', hostName: '127.0.0.1', user: 'root', port: jump.port, source: 'ssh-config' },
      { id: 'ssh-config:lab', alias: 'lab', hostName: '127.0.0.1', user: 'root', port: target.port, source: 'ssh-config' },
    ]);
  });

  it('connects through the jump, asking only about the new host, and shares the connection', async () => {
    const result = await service.run('ssh-config:lab', ['sh', '-c', 'echo "$SSH_CONNECTION"']);
    expect(result.stdout.toString('utf8').trim().split(' ')[3]).toBe(String(target.port));
    expect(unknown.map((key) => key.port)).toEqual([target.port]);
    expect(await readFile(join(home, 'app-data', 'known_hosts'), 'utf8')).toMatch(/^\|1\|/);
    const again = await service.run('ssh-config:lab', ['true']);
    expect(again.exitCode).toBe(0);
    expect(events.filter((event) => event.hostId === 'ssh-config:lab').map((event) => event.state)).toEqual(['connecting', 'connected']);
    expect((await service.runPrivileged('ssh-config:lab', ['id', '-u'])).stdout.toString('utf8').trim()).toBe('0');
  });

  it('deploys the shipped helper and reads its hello', async () => {
    const first = await helper.deploy('ssh-config:lab');
    expect(first.hello.helperVersion).toBe('0.1.0');
    expect(first.remoteDir).toMatch(/^\/root\/\.cache\/civic-workbench\/helper\/0\.1\.0-[0-9a-f]{16}$/);
    const second = await helper.deploy('ssh-config:lab');
    expect(second.uploaded).toBe(0);
    expect(await helper.remove('ssh-config:lab')).toBe(first.remoteDir);
  });
});
