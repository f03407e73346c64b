import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A real OpenSSH sshd on 127.0.0.1, owned by one test file. */
export interface RunningSshd {
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  /** The host public key line (`type base64 comment`) from `ssh-keygen`. */
  readonly hostPublicKey: string;
  /** Everything sshd logged so far (LogLevel DEBUG1 unless overridden). */
  log(): string;
  /** Pids of the per-connection sshd processes (children of the listener). */
  connectionPids(): Promise<number[]>;
  /** SIGKILLs every process serving a connection (sshd children and what they run): a dropped link. */
  killConnections(): Promise<number>;
  stop(): Promise<void>;
}

/** How a test wants its sshd. */
export interface SshdOptions {
  /** Public key lines accepted for every user. */
  readonly authorizedKeys?: readonly string[];
  /** Extra sshd_config lines (later lines do not override earlier ones in sshd, so these come first). */
  readonly extraConfig?: readonly string[];
  /** Reuse a host key file (private key path) instead of generating one. */
  readonly hostKeyPath?: string;
  readonly usePam?: boolean;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; sshd cannot report a port 0 bind). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Makes a fresh temporary folder readable by other users (sshd reads keys as the logged-in user). */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

/** Generates a key pair with ssh-keygen; returns the public key line. */
export async function generateKey(path: string, options: { type?: 'ed25519' | 'rsa' | 'ecdsa'; passphrase?: string } = {}): Promise<string> {
  const type = options.type ?? 'ed25519';
  await run('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', options.passphrase ?? '', '-C', 'civic-test', '-f', path]);
  return (await readFile(`${path}.pub`, 'utf8')).trim();
}

async function childrenOf(pid: number): Promise<number[]> {
  try {
    const { stdout } = await run('pgrep', ['-P', String(pid)]);
    return stdout.split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Starts sshd in the foreground and resolves once it listens. */
export async function startSshd(options: SshdOptions = {}): Promise<RunningSshd> {
  await mkdir('/run/sshd', { recursive: true });
  const dir = await makeTempDir('civic-sshd-');
  const hostKeyPath = options.hostKeyPath ?? join(dir, 'host_key');
  const hostPublicKey = options.hostKeyPath ? (await readFile(`${hostKeyPath}.pub`, 'utf8')).trim() : await generateKey(hostKeyPath);
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, (options.authorizedKeys ?? []).join('\n') + '\n', { mode: 0o644 });
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      ...(options.extraConfig ?? []),
      `ListenAddress 127.0.0.1`,
      `Port ${port}`,
      `HostKey ${hostKeyPath}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      `UsePAM ${options.usePam ? 'yes' : 'no'}`,
      'StrictModes no',
      'PidFile none',
      'LogLevel DEBUG1',
      'PermitRootLogin yes',
      'Subsystem sftp internal-sftp',
      'AllowTcpForwarding yes',
      'MaxStartups 50',
    ].join('\n') + '\n',
  );

  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let logged = '';
  child.stderr?.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const onData = (text: string): void => {
      logged += text;
      if (logged.includes(`Server listening on 127.0.0.1 port ${port}`)) resolve();
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`sshd exited with ${code}:\n${logged}`)));
    child.once('error', reject);
  });
  const pid = child.pid ?? -1;

  return {
    port,
    dir,
    pid,
    hostPublicKey,
    log: () => logged,
    connectionPids: () => childrenOf(pid),
    async killConnections() {
      const victims: number[] = [];
      let frontier = await childrenOf(pid);
      while (frontier.length > 0) {
        victims.push(...frontier);
        const next: number[] = [];
        for (const victim of frontier) next.push(...(await childrenOf(victim)));
        frontier = next;
      }
      for (const victim of victims) {
        try {
          process.kill(victim, 'SIGKILL');
        } catch {
          // Already gone with its parent.
        }
      }
      return victims.length;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        // Per-connection children outlive the listener; end them too so no stray sshd is left.
        for (const childPid of await childrenOf(pid)) {
          try {
            process.kill(childPid, 'SIGTERM');
          } catch {
            // It ended between the listing and the kill.
          }
        }
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A real ssh-agent in the foreground with its own socket. */
export interface RunningAgent {
  readonly socket: string;
  add(keyPath: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `ssh-agent -D -a SOCK` and resolves once it prints its environment. */
export async function startAgent(dir: string): Promise<RunningAgent> {
  const socket = join(dir, 'agent.sock');
  const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      out += text;
      if (out.includes('SSH_AUTH_SOCK')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`ssh-agent exited with ${code}`)));
  });
  return {
    socket,
    async add(keyPath) {
      await run('ssh-add', [keyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Whether a local user exists. */
export async function userExists(name: string): Promise<boolean> {
  try {
    await run('id', ['-u', name]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a user-database command, retrying while another process holds /etc/passwd or /etc/shadow.
 *
 * Other test files on this machine create users too; the lock is theirs for a moment and there is
 * no event to wait on, so a few short retries are the only option.
 */
async function runUserCommand(file: string, args: readonly string[]): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await run(file, [...args]);
      return;
    } catch (error) {
      const text = String((error as { stderr?: unknown }).stderr ?? '');
      if (attempt >= 20 || !/lock|try again/i.test(text)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
    }
  }
}

/**
 * Creates a local test user with a password when it does not exist yet.
 *
 * Returns a function that removes exactly what this call created (nothing when the user existed).
 */
export async function ensureTestUser(name: string, password: string): Promise<() => Promise<void>> {
  const setPassword = (): Promise<void> => runUserCommand('sh', ['-c', `echo '${name}:${password}' | chpasswd`]);
  if (await userExists(name)) {
    await setPassword();
    return async () => undefined;
  }
  await runUserCommand('useradd', ['--create-home', '--shell', '/bin/sh', name]);
  await setPassword();
  return async () => {
    await runUserCommand('userdel', ['--force', '--remove', name]).catch(() => undefined);
  };
}

/** Runs every cleanup step even when one fails, then reports the first failure. */
export async function cleanupAll(steps: ReadonlyArray<() => unknown>): Promise<void> {
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      first ??= error;
    }
  }
  if (first !== undefined) throw first;
}
