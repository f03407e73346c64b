import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkbenchFailure } from '../../../../main/errors';
import type { HostKeyPolicy } from '../../../../main/hosts/host-key-policy';
import { createHostKeyVerifier, type UnknownHostKey } from '../../../../main/ssh/host-key-verifier';
import { hostFieldMatches, parseKnownHosts } from '../../../../main/ssh/known-hosts';

function ed25519(): Buffer {
  return Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), randomBytes(32)]);
}

const line = (hosts: string, key: Buffer): string => `${hosts} ssh-ed25519 ${key.toString('base64')}\n`;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WorkbenchFailure) return error.error.code;
    throw error;
  }
  return 'accepted';
}

describe('host key verifier with a host\'s ~/.ssh/config policy', () => {
  let dir: string;
  let appFile: string;
  let defaultUser: string;
  let defaultGlobal: string;
  let asked: UnknownHostKey[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'civic-host-key-policy-'));
    appFile = join(dir, 'app_known_hosts');
    defaultUser = join(dir, 'user_known_hosts');
    defaultGlobal = join(dir, 'ssh_known_hosts');
    asked = [];
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const verifier = (answer = false) =>
    createHostKeyVerifier({
      userKnownHostsFiles: [defaultUser],
      globalKnownHostsFiles: [defaultGlobal],
      appKnownHostsFile: appFile,
      confirmUnknownHost: async (key) => {
        asked.push(key);
        return answer;
      },
    });

  it('reads the UserKnownHostsFile list instead of the default files, and the global default beside it', async () => {
    const key = ed25519();
    const listed = join(dir, 'listed');
    await writeFile(defaultUser, line('h', key));
    await writeFile(listed, line('h', ed25519()));
    expect(await codeOf(verifier().verify('h', 22, key, { userKnownHostsFiles: [listed] }))).toBe('HOST_KEY_MISMATCH');
    await writeFile(defaultGlobal, line('g', key));
    expect(await codeOf(verifier().verify('g', 22, key, { userKnownHostsFiles: [listed] }))).toBe('accepted');
    expect(await codeOf(verifier().verify('g', 22, key, { userKnownHostsFiles: [listed], globalKnownHostsFiles: [] }))).toBe('HOST_KEY_UNKNOWN');
  });

  it('applies StrictHostKeyChecking: yes refuses without asking, accept-new and no record without asking', async () => {
    const key = ed25519();
    expect(await codeOf(verifier(true).verify('h', 2222, key, { strictHostKeyChecking: 'yes' }))).toBe('HOST_KEY_UNKNOWN');
    expect(asked).toEqual([]);
    for (const strict of ['accept-new', 'no', 'off'] as const) {
      expect(await codeOf(verifier().verify(`h-${strict}`, 2222, key, { strictHostKeyChecking: strict }))).toBe('accepted');
    }
    expect(asked).toEqual([]);
    const recorded = parseKnownHosts(await readFile(appFile, 'latin1'), appFile);
    expect(recorded).toHaveLength(3);
    expect(hostFieldMatches(recorded[0]?.hosts ?? '', 'h-accept-new', 2222)).toBe(true);
  });

  it('refuses a changed key even under StrictHostKeyChecking no (stricter than OpenSSH)', async () => {
    const key = ed25519();
    await writeFile(defaultUser, line('h', ed25519()));
    expect(await codeOf(verifier(true).verify('h', 22, key, { strictHostKeyChecking: 'no' }))).toBe('HOST_KEY_MISMATCH');
    expect(await codeOf(verifier(true).verify('h', 22, key, { strictHostKeyChecking: 'off' }))).toBe('HOST_KEY_MISMATCH');
  });

  it('records a key accepted under a HostKeyAlias under that alias', async () => {
    const key = ed25519();
    const policy: HostKeyPolicy = { hostKeyAlias: 'KVM-Alias' };
    expect(await codeOf(verifier(true).verify('10.0.0.1', 2222, key, policy))).toBe('accepted');
    const [entry] = parseKnownHosts(await readFile(appFile, 'latin1'), appFile);
    expect(hostFieldMatches(entry?.hosts ?? '', 'kvm-alias', 22)).toBe(true);
    expect(await codeOf(verifier().verify('10.0.0.1', 2222, key, policy))).toBe('accepted');
  });

  it('with CheckHostIP, refuses a key that differs from the one known for the address', async () => {
    const key = ed25519();
    await writeFile(defaultUser, line('kvm.example', key) + line('192.0.2.10', ed25519()));
    const prepare = (address: string, checkHostIp: boolean) =>
      verifier().prepare({ host: 'kvm.example', port: 22, address, policy: { checkHostIp } });
    expect(await codeOf((await prepare('192.0.2.10', true)).verify(key))).toBe('HOST_KEY_MISMATCH');
    expect(await codeOf((await prepare('192.0.2.10', false)).verify(key))).toBe('accepted');
    // OpenSSH turns CheckHostIP off for loopback addresses.
    await writeFile(defaultUser, line('kvm.example', key) + line('127.0.0.2', ed25519()));
    expect(await codeOf((await prepare('127.0.0.2', true)).verify(key))).toBe('accepted');
  });

  it('refuses when the config holds something OpenSSH would not run with', async () => {
    const key = ed25519();
    await writeFile(defaultUser, line('h', key));
    expect(await codeOf(verifier().verify('h', 22, key, { configError: 'UserKnownHostsFile /x/%Z uses %Z' }))).toBe('HOST_KEY_UNKNOWN');
  });

  it('reads the files once per connect: the prepared check keeps the entries it read', async () => {
    const key = ed25519();
    await writeFile(defaultUser, line('h', key));
    const check = await verifier().prepare({ host: 'h', port: 22 });
    await writeFile(defaultUser, line('h', ed25519()));
    expect(await codeOf(check.verify(key))).toBe('accepted');
    expect(check.algorithms[0]).toBe('ssh-ed25519');
  });
});
