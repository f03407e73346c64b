import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionStateEvent } from '../../../preload/api';
import { WorkbenchFailure } from '../../../main/errors';
import { createConnectionPool } from '../../../main/ssh/connection-pool';
import { createHostKeyVerifier } from '../../../main/ssh/host-key-verifier';
import { runRemoteChecked, runRemoteCommand } from '../../../main/ssh/remote-command';
import { quoteCommand } from '../../../main/ssh/shell-quote';
import { openSshConnection, type SshConnectOptions, type SshConnection } from '../../../main/ssh/ssh-connect';
import { runPrivileged } from '../../../main/ssh/sudo';
import { cleanupAll, ensureTestUser, generateKey, makeTempDir, startSshd, type RunningSshd } from '../../support/sshd';

const run = promisify(execFile);
const sudoUser = 'civic-sudotest';
const sudoersFile = '/etc/sudoers.d/civic-sudotest';

async function failureOf(promise: Promise<unknown>): Promise<WorkbenchFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WorkbenchFailure) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

/** A small deterministic generator, so a failing case can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const hostileAlphabet = [
  ...`abcXYZ019 \t\n'"\`$(){}[];&|<>*?~#!\\%^=,.:-_/@+`,
  'é',
  'ß',
  '日本',
  '🚀',
  '\u202e',
  '\x1b',
  '\r',
];

function hostileArgument(next: () => number): string {
  const length = Math.floor(next() * 12);
  let text = '';
  for (let index = 0; index < length; index += 1) text += hostileAlphabet[Math.floor(next() * hostileAlphabet.length)] ?? '';
  const specials = ['', '-n', '--', '$(touch /tmp/civic-pwned)', '`id`', "it's", 'a; rm -rf /nope', '~', '*'];
  return next() < 0.2 ? (specials[Math.floor(next() * specials.length)] ?? '') : text;
}

describe('ssh sessions against a real sshd', () => {
  let dir: string;
  let sshd: RunningSshd;
  let key: string;
  let removeUser: () => Promise<void> = async () => undefined;
  let createdSudoers = false;
  let options: SshConnectOptions;

  beforeAll(async () => {
    dir = await makeTempDir('civic-ssh-session-');
    key = join(dir, 'id_test');
    const publicKey = await generateKey(key);
    removeUser = await ensureTestUser(sudoUser, 'unused-Password-1');
    // A rule that wants a password: exactly the case `sudo -n` must turn into an error.
    await writeFile(sudoersFile, `${sudoUser} ALL=(ALL:ALL) ALL\n`, { mode: 0o440, flag: 'wx' });
    createdSudoers = true;
    sshd = await startSshd({ authorizedKeys: [publicKey] });
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
    options = {
      verifier: createHostKeyVerifier({ userKnownHostsFiles: [], appKnownHostsFile: knownHosts, confirmUnknownHost: async () => false }),
      prompt: async () => null,
      keepaliveIntervalMs: 1_000,
      keepaliveCountMax: 3,
    };
  });

  afterAll(() =>
    cleanupAll([
      () => sshd?.stop(),
      () => (createdSudoers ? rm(sudoersFile, { force: true }) : undefined),
      () => removeUser(),
      () => rm(dir, { recursive: true, force: true }),
    ]),
  );

  const connect = (user = 'root'): Promise<SshConnection> =>
    openSshConnection({ jumps: [], target: { host: '127.0.0.1', port: sshd.port, user, identityFiles: [key] } }, options);

  it('echoes hostile arguments back exactly, through the login shell and through sh -c', async () => {
    const connection = await connect();
    try {
      const next = random(20_261_126);
      for (let round = 0; round < 25; round += 1) {
        const args = Array.from({ length: 8 }, () => hostileArgument(next));
        const direct = await runRemoteCommand(connection, ['printf', '%s\\0', ...args]);
        expect(direct.stdout.toString('utf8').split('\0').slice(0, -1), `round ${round}`).toEqual(args);
        const nested = await runRemoteCommand(connection, ['sh', '-c', quoteCommand(['printf', '%s\\0', ...args])]);
        expect(nested.stdout.toString('utf8').split('\0').slice(0, -1), `round ${round} via sh`).toEqual(args);
      }
      const pwned = await runRemoteCommand(connection, ['test', '-e', '/tmp/civic-pwned']);
      expect(pwned.exitCode).toBe(1);
    } finally {
      connection.close();
    }
  });

  it('sends TERM to the remote process on abort and rejects CANCELLED', async () => {
    const connection = await connect();
    const marker = join(dir, 'term-marker');
    try {
      const controller = new AbortController();
      const script = `trap 'echo got-term > ${marker}; exit 143' TERM; echo started; while :; do sleep 0.2; done`;
      const running = runRemoteCommand(connection, ['sh', '-c', script], {
        signal: controller.signal,
        onStdout: (chunk) => {
          if (chunk.toString('utf8').includes('started')) controller.abort();
        },
      });
      expect((await failureOf(running)).code).toBe('CANCELLED');
      await expect.poll(async () => (await runRemoteCommand(connection, ['cat', marker])).stdout.toString('utf8')).toBe('got-term\n');
    } finally {
      connection.close();
    }
  });

  it('KILLs a process group that ignores TERM, leaving nothing behind', async () => {
    const connection = await connect();
    const token = `civic-ignores-term-${process.pid}`;
    try {
      const controller = new AbortController();
      const running = runRemoteCommand(connection, ['sh', '-c', `trap '' TERM; echo started; while :; do sleep 0.2; done`, token], {
        signal: controller.signal,
        killAfterMs: 300,
        onStdout: () => controller.abort(),
      });
      expect((await failureOf(running)).code).toBe('CANCELLED');
      await expect.poll(async () => (await runRemoteCommand(connection, ['pgrep', '-f', token])).exitCode).toBe(1);
    } finally {
      connection.close();
    }
  });

  it('reports a dropped link as CONNECTION_LOST with a state event, then reconnects', async () => {
    const events: SessionStateEvent[] = [];
    const waiters: Array<() => void> = [];
    let opened = 0;
    const pool = createConnectionPool({
      open: async () => {
        opened += 1;
        return connect();
      },
      onState: (event) => {
        events.push(event);
        for (const wake of waiters.splice(0)) wake();
      },
      reconnect: { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
      delay: async () => undefined,
    });
    const until = async (predicate: () => boolean): Promise<void> => {
      while (!predicate()) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    try {
      const [first, again] = await Promise.all([pool.acquire('lab'), pool.acquire('lab')]);
      expect(first).toBe(again);
      expect(opened).toBe(1);
      let started!: () => void;
      const isRunning = new Promise<void>((resolve) => (started = resolve));
      const command = runRemoteCommand(first, ['sh', '-c', 'echo started; sleep 60'], {
        onStdout: () => started(),
      });
      await isRunning;
      expect(await sshd.killConnections()).toBeGreaterThan(0);
      const failure = await failureOf(command);
      expect(failure.code).toBe('CONNECTION_LOST');
      await until(() => events.some((event) => event.state === 'lost'));
      expect(events.find((event) => event.state === 'lost')?.error?.code).toBe('CONNECTION_LOST');
      await until(() => events.filter((event) => event.state === 'connected').length === 2);
      expect(events.map((event) => event.state)).toEqual(['connecting', 'connected', 'lost', 'reconnecting', 'connected']);
      const second = await pool.acquire('lab');
      expect(second).not.toBe(first);
      expect((await runRemoteChecked(second, ['echo', 'back'], 'INTERNAL')).trim()).toBe('back');
    } finally {
      pool.closeAll();
    }
    expect(pool.state('lab')).toBe('disconnected');
  });

  it('turns a sudo rule that wants a password into SUDO_PASSWORD_REQUIRED instead of a hang', async () => {
    const connection = await connect(sudoUser);
    try {
      const startedAt = process.hrtime.bigint();
      // The deadline turns a hang into CANCELLED, which the code assertion would catch.
      const failure = await failureOf(runPrivileged(connection, sudoUser, ['id', '-u'], { signal: AbortSignal.timeout(5_000) }));
      const elapsedMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
      expect(failure.code).toBe('SUDO_PASSWORD_REQUIRED');
      console.info(`sudo refusal took ${elapsedMs.toFixed(0)} ms`);
      const asRoot = await connect('root');
      try {
        const result = await runPrivileged(asRoot, 'root', ['id', '-u']);
        expect(result.stdout.toString('utf8').trim()).toBe('0');
      } finally {
        asRoot.close();
      }
    } finally {
      connection.close();
    }
  });

  it('runs a NOPASSWD rule through sudo -n', async () => {
    await writeFile(sudoersFile, `${sudoUser} ALL=(ALL:ALL) NOPASSWD: /usr/bin/id\n`, { mode: 0o440 });
    await run('visudo', ['-c', '-f', sudoersFile]);
    const connection = await connect(sudoUser);
    try {
      const result = await runPrivileged(connection, sudoUser, ['/usr/bin/id', '-u']);
      expect(result.stdout.toString('utf8').trim()).toBe('0');
    } finally {
      connection.close();
      await writeFile(sudoersFile, `${sudoUser} ALL=(ALL:ALL) ALL\n`, { mode: 0o440 });
    }
  });
});
