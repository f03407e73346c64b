import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkbenchFailure } from '../../../../main/errors';
import { createHostKeyVerifier, type UnknownHostKey } from '../../../../main/ssh/host-key-verifier';
import { fingerprintSha256 } from '../../../../main/ssh/known-hosts';

/** An Ed25519 public key blob as OpenSSH reads it (name string, 32-byte key string), random key bytes. */
function fakeKey(type = 'ssh-ed25519'): Buffer {
  const name = Buffer.from(type);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(name.length);
  return Buffer.concat([head, name, Buffer.from([0, 0, 0, 32]), randomBytes(32)]);
}

const entry = (hosts: string, key: Buffer): string => `${hosts} ssh-ed25519 ${key.toString('base64')}`;

describe('host key verifier', () => {
  let dir: string;
  let userFile: string;
  let appFile: string;
  let asked: UnknownHostKey[];
  let answer: boolean;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'civic-verifier-'));
    userFile = join(dir, 'user_known_hosts');
    appFile = join(dir, 'app', 'known_hosts');
    asked = [];
    answer = true;
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const verifier = () =>
    createHostKeyVerifier({
      userKnownHostsFiles: [userFile, join(dir, 'missing')],
      appKnownHostsFile: appFile,
      confirmUnknownHost: async (key) => {
        asked.push(key);
        return answer;
      },
    });

  async function failure(promise: Promise<unknown>): Promise<WorkbenchFailure> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof WorkbenchFailure) return error;
      throw error;
    }
    throw new Error('expected a failure');
  }

  it('asks once about an unknown key, appends it hashed, and trusts it afterwards', async () => {
    const key = fakeKey();
    const check = verifier();
    await check.verify('kvm1', 2222, key);
    await check.verify('kvm1', 2222, key);
    expect(asked).toEqual([{ host: 'kvm1', port: 2222, keyType: 'ssh-ed25519', fingerprint: fingerprintSha256(key) }]);
    const written = await readFile(appFile, 'utf8');
    expect(written).toMatch(/^\|1\|/);
    expect(written).not.toContain('kvm1');
  });

  it('keeps both lines when two new hosts are accepted at once', async () => {
    const check = verifier();
    await Promise.all([check.verify('a', 22, fakeKey()), check.verify('b', 22, fakeKey())]);
    expect((await readFile(appFile, 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it('refuses a declined key and writes nothing', async () => {
    answer = false;
    expect((await failure(verifier().verify('kvm1', 22, fakeKey()))).code).toBe('HOST_KEY_UNKNOWN');
    await expect(readFile(appFile, 'utf8')).rejects.toThrow();
  });

  it('refuses a changed key with both fingerprints and the file:line, without asking', async () => {
    const old = fakeKey();
    const offered = fakeKey();
    await writeFile(userFile, `# header\n${entry('kvm1', old)}\n`);
    const refused = await failure(verifier().verify('kvm1', 22, offered));
    expect(refused.code).toBe('HOST_KEY_MISMATCH');
    expect(refused.error.message).toContain(fingerprintSha256(old));
    expect(refused.error.message).toContain(fingerprintSha256(offered));
    expect(refused.error.subject).toBe(`${userFile}:2`);
    expect(asked).toEqual([]);
  });

  it('refuses @revoked and @cert-authority with their own codes', async () => {
    const key = fakeKey();
    await writeFile(userFile, `@revoked * ${entry('', key).trim()}\n@cert-authority *.lab ${entry('', fakeKey()).trim()}\n`.replace(/\* {2}/, '* '));
    expect((await failure(verifier().verify('kvm1', 22, key))).code).toBe('HOST_KEY_REVOKED');
    expect((await failure(verifier().verify('kvm.lab', 22, fakeKey()))).code).toBe('HOST_KEY_UNSUPPORTED');
  });

  it('offers the known key type first', async () => {
    const rsa = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-rsa'), randomBytes(20)]);
    await writeFile(userFile, `kvm1 ssh-rsa ${rsa.toString('base64')}\n`);
    const algorithms = await verifier().preferredAlgorithms('kvm1', 22);
    expect(algorithms.slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(algorithms).toContain('ssh-ed25519');
    expect((await verifier().preferredAlgorithms('other', 22))[0]).toBe('ssh-ed25519');
  });
});
