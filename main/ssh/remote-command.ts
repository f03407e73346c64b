import type { ClientChannel } from 'ssh2';
import { WorkbenchFailure } from '../errors';
import type { SshConnection } from './ssh-connect';
import { toSshFailure } from './ssh-errors';
import { quoteCommand } from './shell-quote';

/** What a finished remote command left behind. */
export interface CommandResult {
  /** null when the process died of a signal. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

/** How to run one remote command. */
export interface CommandOptions {
  readonly signal?: AbortSignal;
  /** Written to the process's stdin, then stdin is closed. */
  readonly stdin?: string | Buffer;
  /** Output beyond this many bytes per stream is dropped (the process keeps running). */
  readonly maxOutputBytes?: number;
  /** Called with each chunk of stdout as it arrives, for progress lines. */
  readonly onStdout?: (chunk: Buffer) => void;
}

const defaultMaxOutput = 16 * 1024 * 1024;

function openExec(connection: SshConnection, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      connection.client.exec(command, (error, channel) => {
        if (error) reject(toSshFailure(error, connection.label));
        else resolve(channel);
      });
    } catch (error) {
      // ssh2 throws synchronously when the connection is already gone.
      reject(new WorkbenchFailure('CONNECTION_LOST', `The connection to ${connection.label} was lost.`, { cause: error }));
    }
  });
}

/**
 * Runs an argv on the host through its login shell, every argument quoted.
 *
 * On abort the remote process gets TERM and the channel is closed; the promise rejects CANCELLED. If
 * the connection drops first it rejects CONNECTION_LOST. A non-zero exit is a result, not an error.
 */
export async function runRemoteCommand(
  connection: SshConnection,
  argv: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const { signal } = options;
  if (signal?.aborted) throw new WorkbenchFailure('CANCELLED', 'Cancelled.');
  if (connection.closed) throw new WorkbenchFailure('CONNECTION_LOST', `The connection to ${connection.label} was lost.`);
  const channel = await openExec(connection, quoteCommand(argv));
  const limit = options.maxOutputBytes ?? defaultMaxOutput;

  return new Promise<CommandResult>((resolve, reject) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const sizes = { stdout: 0, stderr: 0 };
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    let sawExit = false;
    let settled = false;

    const keep = (into: Buffer[], which: 'stdout' | 'stderr', chunk: Buffer): void => {
      if (sizes[which] >= limit) return;
      const part = chunk.subarray(0, limit - sizes[which]);
      sizes[which] += part.length;
      into.push(part);
    };
    const settle = (error?: WorkbenchFailure): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      removeClose();
      if (error) reject(error);
      else resolve({ exitCode, signal: exitSignal, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
    };
    const onAbort = (): void => {
      try {
        channel.signal('TERM');
      } catch {
        // The channel may already be closing; closing it below is what matters.
      }
      channel.close();
      settle(new WorkbenchFailure('CANCELLED', `${argv[0] ?? 'The command'} was cancelled.`));
    };
    const removeClose = connection.onClose(() =>
      settle(new WorkbenchFailure('CONNECTION_LOST', `The connection to ${connection.label} was lost while ${argv[0] ?? 'a command'} ran.`, { subject: connection.label })),
    );
    signal?.addEventListener('abort', onAbort, { once: true });

    channel.on('data', (chunk: Buffer) => {
      keep(stdout, 'stdout', chunk);
      options.onStdout?.(chunk);
    });
    channel.stderr.on('data', (chunk: Buffer) => keep(stderr, 'stderr', chunk));
    channel.on('exit', (code: number | null, signalName?: string) => {
      sawExit = true;
      exitCode = typeof code === 'number' ? code : null;
      exitSignal = signalName ?? null;
    });
    channel.on('close', () => {
      // A channel closed without an exit status means the link went away under it.
      if (!sawExit || connection.closed) {
        settle(new WorkbenchFailure('CONNECTION_LOST', `The connection to ${connection.label} was lost while ${argv[0] ?? 'a command'} ran.`, { subject: connection.label }));
      } else {
        settle();
      }
    });
    if (options.stdin !== undefined) channel.end(options.stdin);
    else channel.end();
  });
}

/** Runs a command and returns stdout as text, or throws `code` with stderr's first line when it fails. */
export async function runRemoteChecked(
  connection: SshConnection,
  argv: readonly string[],
  failureCode: 'HELPER_DEPLOY_FAILED' | 'HELPER_FAILED' | 'INTERNAL',
  options: CommandOptions = {},
): Promise<string> {
  const result = await runRemoteCommand(connection, argv, options);
  if (result.exitCode !== 0) {
    const reason = result.stderr.toString('utf8').trim().split('\n')[0] ?? '';
    throw new WorkbenchFailure(failureCode, `${argv[0] ?? 'A command'} failed on ${connection.label} (exit ${result.exitCode ?? result.signal}): ${reason}`, {
      subject: connection.label,
    });
  }
  return result.stdout.toString('utf8');
}
