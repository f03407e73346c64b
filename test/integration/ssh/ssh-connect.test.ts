import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchFailure } from '../../../main/errors';
import { redact } from '../../../main/logging/redact';
import { createHostKeyVerifier, type UnknownHostKey } from '../../../main/ssh/host-key-verifier';
import { fingerprintSha256 } from '../../../main/ssh/known-hosts';
import { runRemoteChecked } from '../../../main/ssh/remote-command';
import type { SecretRequest } from '../../../main/ssh/ssh-auth';
import type { SshEndpoint } from '../../../main/hosts/host-route';
import { openSshConnection, type SshConnectOptions } from '../../../main/ssh/ssh-connect';
import { cleanupAll, ensureTestUser, generateKey, makeTempDir, startAgent, startSshd, type RunningSshd } from '../../support/sshd';

const run = promisify(execFile);

const passwordUser = 'civic-pwtest';
const password = 'Correct horse 7 battery';
const keyPassphrase = 'open sesame 42';

function keyBlob(publicKeyLine: string): Buffer {
  return Buffer.from(publicKeyLine.split(' ')[1] ?? '', 'base64');
}

async function failureOf(promise: Promise<unknown>): Promise<WorkbenchFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WorkbenchFailure) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('ssh connect against a real sshd', () => {
  let dir: string;
  let sshd: RunningSshd;
  let plainKey: string;
  let encryptedKey: string;
  let agentKey: string;
  let removeUser: () => Promise<void> = async () => undefined;
  const caseDirs: string[] = [];

  beforeAll(async () => {
    dir = await makeTempDir('civic-ssh-connect-');
    plainKey = join(dir, 'id_plain');
    encryptedKey = join(dir, 'id_encrypted');
    agentKey = join(dir, 'id_agent');
    const publicKeys = await Promise.all([
      generateKey(plainKey),
      generateKey(encryptedKey, { passphrase: keyPassphrase, type: 'rsa' }),
      generateKey(agentKey, { type: 'ecdsa' }),
    ]);
    removeUser = await ensureTestUser(passwordUser, password);
    sshd = await startSshd({
      authorizedKeys: publicKeys,
      usePam: true,
      extraConfig: ['KbdInteractiveAuthentication yes', 'PasswordAuthentication no'],
    });
  });

  afterAll(() =>
    cleanupAll([
      () => sshd?.stop(),
      () => removeUser(),
      () => rm(dir, { recursive: true, force: true }),
      ...caseDirs.map((caseDir) => () => rm(caseDir, { recursive: true, force: true })),
    ]),
  );

  /** Options with fresh known_hosts files that already trust the server, and a recording prompt. */
  async function trustedOptions(answers: Record<string, string | null> = {}) {
    const caseDir = await makeTempDir('civic-ssh-case-');
    caseDirs.push(caseDir);
    const appKnownHosts = join(caseDir, 'app_known_hosts');
    await writeFile(appKnownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
    const asked: SecretRequest[] = [];
    const unknown: UnknownHostKey[] = [];
    const options: SshConnectOptions = {
      verifier: createHostKeyVerifier({
        userKnownHostsFiles: [join(caseDir, 'user_known_hosts')],
        appKnownHostsFile: appKnownHosts,
        confirmUnknownHost: async (key) => {
          unknown.push(key);
          return true;
        },
      }),
      prompt: async (request) => {
        asked.push(request);
        return answers[request.kind] ?? null;
      },
    };
    return { options, asked, unknown, caseDir, appKnownHosts };
  }

  const endpoint = (user: string, identityFiles: string[]): SshEndpoint => ({ host: '127.0.0.1', port: sshd.port, user, identityFiles });

  it('connects with a key file', async () => {
    const { options, asked } = await trustedOptions();
    const connection = await openSshConnection({ jumps: [], target: endpoint('root', [plainKey]) }, options);
    try {
      expect((await runRemoteChecked(connection, ['id', '-un'], 'INTERNAL')).trim()).toBe('root');
      expect(asked).toEqual([]);
    } finally {
      connection.close();
    }
  });

  it('connects with an encrypted key after asking for its passphrase', async () => {
    const { options, asked } = await trustedOptions({ passphrase: keyPassphrase });
    const connection = await openSshConnection({ jumps: [], target: endpoint('root', [encryptedKey]) }, options);
    connection.close();
    expect(asked.map((request) => request.kind)).toEqual(['passphrase']);
    expect(asked[0]?.prompt).toContain(encryptedKey);
    // The typed passphrase is now redacted from anything logged.
    expect(redact(`failed with ${keyPassphrase}`)).toBe('failed with [redacted]');
  });

  it('connects through a real ssh-agent', async () => {
    const agent = await startAgent(dir);
    try {
      await agent.add(agentKey);
      const { options, asked } = await trustedOptions();
      const connection = await openSshConnection(
        { jumps: [], target: endpoint('root', [join(dir, 'no-such-key')]) },
        { ...options, agentSocket: agent.socket },
      );
      connection.close();
      expect(asked).toEqual([]);
      // sshd's log arrives on its stderr, possibly after the client is ready.
      await expect.poll(() => sshd.log()).toMatch(/Accepted publickey for root .* ECDSA/);
    } finally {
      await agent.stop();
    }
  });

  it('connects with keyboard-interactive password through PAM', async () => {
    const { options, asked } = await trustedOptions({ 'keyboard-interactive': password });
    const connection = await openSshConnection({ jumps: [], target: endpoint(passwordUser, []) }, options);
    try {
      expect((await runRemoteChecked(connection, ['id', '-un'], 'INTERNAL')).trim()).toBe(passwordUser);
      expect(asked.map((request) => [request.kind, request.echo])).toEqual([['keyboard-interactive', false]]);
    } finally {
      connection.close();
    }
  });

  it('reports AUTH_FAILED when every method is refused', async () => {
    const { options } = await trustedOptions({ 'keyboard-interactive': 'wrong password' });
    const failure = await failureOf(openSshConnection({ jumps: [], target: endpoint(passwordUser, []) }, { ...options }));
    expect(failure.code).toBe('AUTH_FAILED');
  });

  it('reports CANCELLED when the user cancels the passphrase prompt', async () => {
    const { options } = await trustedOptions({ passphrase: null });
    const failure = await failureOf(openSshConnection({ jumps: [], target: endpoint('root', [encryptedKey]) }, options));
    expect(failure.code).toBe('CANCELLED');
  });

  it('asks about an unknown host once, then trusts the key it appended', async () => {
    const { options, unknown, appKnownHosts } = await trustedOptions();
    await writeFile(appKnownHosts, '');
    const first = await openSshConnection({ jumps: [], target: endpoint('root', [plainKey]) }, options);
    first.close();
    expect(unknown).toEqual([
      { host: '127.0.0.1', port: sshd.port, keyType: 'ssh-ed25519', fingerprint: fingerprintSha256(keyBlob(sshd.hostPublicKey)) },
    ]);
    expect(await readFile(appKnownHosts, 'utf8')).toMatch(/^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /);
    const second = await openSshConnection({ jumps: [], target: endpoint('root', [plainKey]) }, options);
    second.close();
    expect(unknown).toHaveLength(1);
  });

  it('matches the fingerprint ssh-keygen prints', async () => {
    const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(sshd.dir, 'host_key.pub')]);
    expect(stdout.split(' ')[1]).toBe(fingerprintSha256(keyBlob(sshd.hostPublicKey)));
  });

  it('refuses an unknown host the user declines, with HOST_KEY_UNKNOWN', async () => {
    const { options, appKnownHosts } = await trustedOptions();
    await writeFile(appKnownHosts, '');
    const declining = { ...options, verifier: createHostKeyVerifier({ userKnownHostsFiles: [], appKnownHostsFile: appKnownHosts, confirmUnknownHost: async () => false }) };
    expect((await failureOf(openSshConnection({ jumps: [], target: endpoint('root', [plainKey]) }, declining))).code).toBe('HOST_KEY_UNKNOWN');
    expect(await readFile(appKnownHosts, 'utf8')).toBe('');
  });

  it('refuses a changed host key before any authentication, naming both fingerprints and the line', async () => {
    const { options, caseDir, appKnownHosts } = await trustedOptions();
    const otherPublic = await generateKey(join(caseDir, 'other_host_key'));
    await writeFile(appKnownHosts, `# first line\n[127.0.0.1]:${sshd.port} ${otherPublic}\n`);
    const logBefore = sshd.log().length;
    const failure = await failureOf(openSshConnection({ jumps: [], target: endpoint('root', [plainKey]) }, options));
    expect(failure.code).toBe('HOST_KEY_MISMATCH');
    expect(failure.error.message).toContain(fingerprintSha256(keyBlob(sshd.hostPublicKey)));
    expect(failure.error.message).toContain(fingerprintSha256(keyBlob(otherPublic)));
    expect(failure.error.subject).toBe(`${appKnownHosts}:2`);
    // sshd logs every authentication request at DEBUG1; none may have reached it.
    await expect.poll(() => sshd.log().slice(logBefore)).toMatch(/(Disconnected from|Connection (closed|reset) by) 127\.0\.0\.1 port \d+ \[preauth\]/);
    const logged = sshd.log().slice(logBefore);
    expect(logged).toContain('Connection from 127.0.0.1');
    expect(logged).toContain('SSH2_MSG_KEX_ECDH_INIT received');
    expect(logged).not.toMatch(/userauth-request|ssh-userauth|Accepted|Failed (publickey|password|none)|Postponed/);
  });

  it('honours entries hashed by ssh-keygen -H in the user known_hosts', async () => {
    const { options, caseDir, appKnownHosts, unknown } = await trustedOptions();
    await writeFile(appKnownHosts, '');
    const userKnownHosts = join(caseDir, 'user_known_hosts');
    await writeFile(userKnownHosts, `other.example ${sshd.hostPublicKey}\n[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
    await run('ssh-keygen', ['-H', '-f', userKnownHosts]);
    const hashed = await readFile(userKnownHosts, 'utf8');
    expect(hashed).not.toContain('127.0.0.1');
    const connection = await openSshConnection({ jumps: [], target: endpoint('root', [plainKey]) }, options);
    connection.close();
    expect(unknown).toEqual([]);
  });

  it('refuses a key marked @revoked', async () => {
    const { options, appKnownHosts, caseDir } = await trustedOptions();
    await writeFile(join(caseDir, 'user_known_hosts'), `@revoked * ${sshd.hostPublicKey}\n`);
    expect(await readFile(appKnownHosts, 'utf8')).toContain(sshd.port.toString());
    const failure = await failureOf(openSshConnection({ jumps: [], target: endpoint('root', [plainKey]) }, options));
    expect(failure.code).toBe('HOST_KEY_REVOKED');
    expect(failure.error.subject).toBe(`${join(caseDir, 'user_known_hosts')}:1`);
  });

  it('refuses a host trusted only through @cert-authority as unsupported', async () => {
    const { options, appKnownHosts, caseDir } = await trustedOptions();
    await writeFile(appKnownHosts, '');
    const caPublic = await generateKey(join(caseDir, 'ca'));
    await writeFile(join(caseDir, 'user_known_hosts'), `@cert-authority [127.0.0.1]:* ${caPublic}\n`);
    const failure = await failureOf(openSshConnection({ jumps: [], target: endpoint('root', [plainKey]) }, options));
    expect(failure.code).toBe('HOST_KEY_UNSUPPORTED');
  });

  it('reports CONNECTION_REFUSED when nothing listens', async () => {
    const { options } = await trustedOptions();
    const { freePort } = await import('../../support/sshd');
    const port = await freePort();
    const failure = await failureOf(openSshConnection({ jumps: [], target: { host: '127.0.0.1', port, user: 'root', identityFiles: [plainKey] } }, options));
    expect(failure.code).toBe('CONNECTION_REFUSED');
  });

  describe('through a ProxyJump hop', () => {
    let jump: RunningSshd;
    let target: RunningSshd;

    beforeAll(async () => {
      const publicKey = (await readFile(`${plainKey}.pub`, 'utf8')).trim();
      jump = await startSshd({ authorizedKeys: [publicKey] });
      target = await startSshd({ authorizedKeys: [publicKey] });
    });

    afterAll(() => cleanupAll([() => target?.stop(), () => jump?.stop()]));

    it('verifies both hops and runs on the target', async () => {
      const caseDir = await makeTempDir('civic-ssh-jump-');
      caseDirs.push(caseDir);
      const appKnownHosts = join(caseDir, 'known_hosts');
      const unknown: UnknownHostKey[] = [];
      const options: SshConnectOptions = {
        verifier: createHostKeyVerifier({
          userKnownHostsFiles: [],
          appKnownHostsFile: appKnownHosts,
          confirmUnknownHost: async (key) => {
            unknown.push(key);
            return true;
          },
        }),
        prompt: async () => null,
      };
      const route = {
        jumps: [{ host: '127.0.0.1', port: jump.port, user: 'root', identityFiles: [plainKey] }],
        target: { host: '127.0.0.1', port: target.port, user: 'root', identityFiles: [plainKey] },
      };
      const connection = await openSshConnection(route, options);
      try {
        const out = await runRemoteChecked(connection, ['sh', '-c', 'echo "$SSH_CONNECTION"'], 'INTERNAL');
        expect(out.trim().split(' ')[3]).toBe(String(target.port));
      } finally {
        connection.close();
      }
      expect(unknown.map((key) => [key.port, key.fingerprint])).toEqual([
        [jump.port, fingerprintSha256(keyBlob(jump.hostPublicKey))],
        [target.port, fingerprintSha256(keyBlob(target.hostPublicKey))],
      ]);
      await expect.poll(() => target.log()).toMatch(/Accepted publickey for root from 127\.0\.0\.1/);

      // A changed key on the second hop is refused even though the first hop is fine.
      const otherPublic = await generateKey(join(caseDir, 'other'));
      await writeFile(appKnownHosts, `[127.0.0.1]:${jump.port} ${jump.hostPublicKey}\n[127.0.0.1]:${target.port} ${otherPublic}\n`);
      const failure = await failureOf(openSshConnection(route, options));
      expect(failure.code).toBe('HOST_KEY_MISMATCH');
      expect(failure.error.subject).toBe(`${appKnownHosts}:2`);
      await rm(caseDir, { recursive: true, force: true });
    });
  });
});
