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
  /** After TERM on abort, how long the process may take to go before it gets KILL. */
  readonly killAfterMs?: number;
}

const defaultMaxOutput = 16 * 1024 * 1024;

/** The private ssh2 fields `sendSignal` needs; ssh2 does not type them. */
interface ChannelInternals {
  readonly type?: string;
  readonly outgoing?: { readonly id?: number; readonly state?: string };
  readonly _client?: { readonly _protocol?: { signal(channelId: number, signalName: string): void } };
}

/**
 * Sends a signal request on a session channel.
 *
 * ssh2's `channel.signal()` is silently dropped once our side has sent EOF (we close
 * stdin right after exec), so the request goes straight to the protocol while the channel is open.
 */
export function sendSignal(channel: ClientChannel, signalName: string): boolean {
  const internals = channel as unknown as ChannelInternals;
  const id = internals.outgoing?.id;
  const protocol = internals._client?._protocol;
  if (internals.type !== 'session' || !['open', 'eof'].includes(internals.outgoing?.state ?? '') || id === undefined || !protocol) return false;
  protocol.signal(id, signalName);
  return true;
}

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

/** The first stdout line of every command: the remote pid, which is also its process group. */
const pidLine = /^civic-pid:(\d+)\n/;

/**
 * The command line actually sent: report the shell's pid, then `exec` the argv in its place.
 *
 * sshd starts each session in a new session and process group, so after `exec` the pid names the
 * whole group: `kill -- -pid` reaches the command and its children. That works for root logins too,
 * where OpenSSH refuses channel signal requests ("session signalling requires privilege separation").
 */
export function wrapWithPid(argv: readonly string[]): string {
  return `printf 'civic-pid:%s\\n' "$$"; exec ${quoteCommand(argv)}`;
}

function execAndForget(connection: SshConnection, command: string): Promise<void> {
  return new Promise((resolve) => {
    try {
      connection.client.exec(command, (error, channel) => {
        if (error) return resolve();
        channel.on('close', () => resolve());
        channel.on('error', () => resolve());
        channel.resume();
        channel.stderr.resume();
        channel.end();
      });
    } catch {
      resolve();
    }
  });
}

/**
 * Runs an argv on the host through its login shell, every argument quoted.
 *
 * On abort the remote process group gets TERM, then KILL if it is still there after `killAfterMs`;
 * the channel is closed and the promise rejects CANCELLED. If the connection drops first it rejects
 * CONNECTION_LOST. A non-zero exit is a result, not an error.
 */
export async function runRemoteCommand(
  connection: SshConnection,
  argv: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const { signal } = options;
  if (signal?.aborted) throw new WorkbenchFailure('CANCELLED', 'Cancelled.');
  if (connection.closed) throw new WorkbenchFailure('CONNECTION_LOST', `The connection to ${connection.label} was lost.`);
  const channel = await openExec(connection, wrapWithPid(argv));
  const limit = options.maxOutputBytes ?? defaultMaxOutput;
  const killAfterMs = options.killAfterMs ?? 5_000;
  const name = argv[0] ?? 'The command';

  return new Promise<CommandResult>((resolve, reject) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const sizes = { stdout: 0, stderr: 0 };
    let header: Buffer | null = Buffer.alloc(0);
    let remotePid: number | undefined;
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    let sawExit = false;
    let channelClosed = false;
    let aborting = false;
    let settled = false;
    let wakeOnClose: (() => void) | undefined;

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
    const lost = (): WorkbenchFailure =>
      new WorkbenchFailure('CONNECTION_LOST', `The connection to ${connection.label} was lost while ${name} ran.`, { subject: connection.label });
    const cancelled = (): WorkbenchFailure => new WorkbenchFailure('CANCELLED', `${name} was cancelled.`);

    const closedWithin = (ms: number): Promise<boolean> =>
      new Promise((resolveWait) => {
        if (channelClosed) return resolveWait(true);
        const timer = setTimeout(() => resolveWait(channelClosed), ms);
        wakeOnClose = () => {
          clearTimeout(timer);
          resolveWait(true);
        };
      });
    const deliver = async (signalName: 'TERM' | 'KILL'): Promise<void> => {
      try {
        sendSignal(channel, signalName);
      } catch {
        // The channel may already be closing; the kill below still reaches the process.
      }
      if (remotePid !== undefined && !connection.closed) {
        await execAndForget(connection, `kill -${signalName} -- -${remotePid} 2>/dev/null || kill -${signalName} ${remotePid} 2>/dev/null`);
      }
    };
    const onAbort = (): void => {
      if (aborting || settled) return;
      aborting = true;
      void (async () => {
        await deliver('TERM');
        if (!(await closedWithin(killAfterMs))) {
          await deliver('KILL');
          await closedWithin(killAfterMs);
        }
        channel.close();
        settle(cancelled());
      })();
    };
    const removeClose = connection.onClose(() => settle(aborting ? cancelled() : lost()));
    signal?.addEventListener('abort', onAbort, { once: true });
    // The signal may have fired while the channel was opening.
    if (signal?.aborted) onAbort();

    const onOutput = (chunk: Buffer): void => {
      keep(stdout, 'stdout', chunk);
      options.onStdout?.(chunk);
    };
    channel.on('data', (chunk: Buffer) => {
      if (header === null) return onOutput(chunk);
      header = Buffer.concat([header, chunk]);
      const match = pidLine.exec(header.toString('latin1'));
      if (match?.[1] !== undefined) {
        remotePid = Number(match[1]);
        const rest = header.subarray(match[0].length);
        header = null;
        if (rest.length > 0) onOutput(rest);
      } else if (header.includes(0x0a) || header.length > 64) {
        // Not our preamble (an odd login shell): treat everything as output.
        const all = header;
        header = null;
        onOutput(all);
      }
    });
    channel.stderr.on('data', (chunk: Buffer) => keep(stderr, 'stderr', chunk));
    channel.on('exit', (code: number | null, signalName?: string) => {
      sawExit = true;
      exitCode = typeof code === 'number' ? code : null;
      exitSignal = signalName ?? null;
    });
    // A channel error comes with (or before) the link going away; 'close' or the connection's close settles.
    channel.on('error', () => undefined);
    channel.stderr.on('error', () => undefined);
    channel.on('close', () => {
      channelClosed = true;
      wakeOnClose?.();
      if (aborting) return;
      // A channel closed without an exit status means the link went away under it.
      if (!sawExit || connection.closed) settle(lost());
      else settle();
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
