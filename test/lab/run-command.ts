import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { LabError } from './lab-error';

/** What a finished command printed and how it ended. */
export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** Options for {@link runCommand}. */
export interface RunOptions {
  readonly input?: string | Buffer;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Resolve with the result instead of throwing when the exit code is not zero. */
  readonly allowFailure?: boolean;
  /** Stop the program (TERM) after this long; running out rejects even with `allowFailure`. */
  readonly timeoutMs?: number;
  /** What the command waits for, named in the error when it runs out of time. */
  readonly waitingFor?: string;
}

/**
 * Runs a program with an argument vector (never through a shell) and collects its output.
 *
 * A command stopped at `timeoutMs` always rejects, saying what it waited for: a caller that allows
 * failure must not read a timeout as an answer (a `domstate` cut short is not an absent domain).
 */
export function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGTERM');
          }, options.timeoutMs);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new LabError(`cannot run ${file}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        const what = options.waitingFor ? ` waiting for ${options.waitingFor}` : '';
        reject(new LabError(`${file} ${args.join(' ')} did not finish within ${Math.round((options.timeoutMs ?? 0) / 1000)} s${what}`, Buffer.concat(stderr).toString('utf8').trim().slice(-2000)));
        return;
      }
      const result: CommandResult = {
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        code: code ?? 128,
      };
      if (result.code !== 0 && !options.allowFailure) {
        const how = signal ? `signal ${signal}` : `exit code ${result.code}`;
        reject(new LabError(`${file} ${args.join(' ')} failed with ${how}`, result.stderr.trim().slice(-2000)));
        return;
      }
      resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

// Closes every descriptor above stderr, then execs the program (same PID). Node leaves descriptors
// it inherited open in its children: under `flock LOCK npm run lab -- up` the lock's descriptor
// would live on in sshd, QEMU, virtlogd and libvirtd and hold the lock for as long as the lab runs.
const CLOSE_INHERITED_AND_EXEC = 'import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])';

/**
 * The argument vector that runs `file` with no descriptor inherited beyond stdin, stdout and stderr.
 *
 * For daemons and other programs that outlive this process (python3 is there: the helper needs it).
 */
export function withoutInheritedDescriptors(file: string, args: readonly string[]): { readonly file: string; readonly args: readonly string[] } {
  return { file: 'python3', args: ['-c', CLOSE_INHERITED_AND_EXEC, file, ...args] };
}

/**
 * Starts a long-running program detached from this process, output appended to a log file.
 *
 * Returns its PID; the program keeps running after the caller exits, so the lab state must record it.
 */
export function spawnDaemon(file: string, args: readonly string[], logPath: string): number {
  const log = openSync(logPath, 'a');
  try {
    const clean = withoutInheritedDescriptors(file, args);
    const child = spawn(clean.file, [...clean.args], { detached: true, stdio: ['ignore', log, log] });
    if (child.pid === undefined) {
      throw new LabError(`cannot start ${file}`, `see ${logPath}`);
    }
    child.on('error', () => undefined);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}
