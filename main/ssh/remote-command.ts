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

/** Capped stdout and stderr of one command: output beyond `limit` bytes per stream is dropped. */
interface OutputBuffers {
  keep(which: 'stdout' | 'stderr', chunk: Buffer): void;
  take(which: 'stdout' | 'stderr'): Buffer;
}

function createOutputBuffers(limit: number): OutputBuffers {
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const sizes = { stdout: 0, stderr: 0 };
  return {
    keep(which, chunk) {
      if (sizes[which] >= limit) return;
      const part = chunk.subarray(0, limit - sizes[which]);
      sizes[which] += part.length;
      chunks[which].push(part);
    },
    take: (which) => Buffer.concat(chunks[which]),
  };
}

/**
 * Reads the `civic-pid:` preamble off the front of stdout, then hands every other byte to `onOutput`.
 *
 * A login shell that prints something else first is not our preamble: everything counts as output.
 */
function createPidReader(onPid: (pid: number) => void, onOutput: (chunk: Buffer) => void): (chunk: Buffer) => void {
  let header: Buffer | null = Buffer.alloc(0);
  return (chunk) => {
    if (header === null) return onOutput(chunk);
    header = Buffer.concat([header, chunk]);
    const match = pidLine.exec(header.toString('latin1'));
    if (match?.[1] !== undefined) {
      onPid(Number(match[1]));
      const rest = header.subarray(match[0].length);
      header = null;
      if (rest.length > 0) onOutput(rest);
    } else if (header.includes(0x0a) || header.length > 64) {
      const all = header;
      header = null;
      onOutput(all);
    }
  };
}

/** What is known of one running command: its remote pid and how its channel ended. */
interface CommandState {
  remotePid: number | undefined;
  exitCode: number | null;
  exitSignal: string | null;
  sawExit: boolean;
  channelClosed: boolean;
  /** Set while the abort sequence waits for the channel to close. */
  wakeOnClose: (() => void) | undefined;
}

/** Waits up to `ms` for the channel to close; true when it did. */
function closedWithin(state: CommandState, ms: number): Promise<boolean> {
  return new Promise((resolveWait) => {
    if (state.channelClosed) return resolveWait(true);
    const timer = setTimeout(() => resolveWait(state.channelClosed), ms);
    state.wakeOnClose = () => {
      clearTimeout(timer);
      resolveWait(true);
    };
  });
}

/** Signals the remote process group: a channel signal request, and `kill` on a second channel (root logins refuse the first). */
async function deliverSignal(connection: SshConnection, channel: ClientChannel, state: CommandState, signalName: 'TERM' | 'KILL'): Promise<void> {
  try {
    sendSignal(channel, signalName);
  } catch {
    // The channel may already be closing; the kill below still reaches the process.
  }
  if (state.remotePid !== undefined && !connection.closed) {
    await execAndForget(connection, `kill -${signalName} -- -${state.remotePid} 2>/dev/null || kill -${signalName} ${state.remotePid} 2>/dev/null`);
  }
}

/** Stops the command: TERM, then KILL if the channel is still open after `killAfterMs`, then closes the channel. */
async function terminate(connection: SshConnection, channel: ClientChannel, state: CommandState, killAfterMs: number): Promise<void> {
  await deliverSignal(connection, channel, state, 'TERM');
  if (!(await closedWithin(state, killAfterMs))) {
    await deliverSignal(connection, channel, state, 'KILL');
    await closedWithin(state, killAfterMs);
  }
  channel.close();
}

/** Fails before any channel opens when the command is already cancelled or the link is gone. */
function refuseToStart(connection: SshConnection, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new WorkbenchFailure('CANCELLED', 'Cancelled.');
  if (connection.closed) throw new WorkbenchFailure('CONNECTION_LOST', `The connection to ${connection.label} was lost.`);
}

/** Records the channel's output and end into `state` and `output`; `onClosed` decides what the close means. */
function watchChannel(channel: ClientChannel, state: CommandState, output: OutputBuffers, onStdout: ((chunk: Buffer) => void) | undefined, onClosed: () => void): void {
  channel.on(
    'data',
    createPidReader(
      (pid) => (state.remotePid = pid),
      (chunk) => {
        output.keep('stdout', chunk);
        onStdout?.(chunk);
      },
    ),
  );
  channel.stderr.on('data', (chunk: Buffer) => output.keep('stderr', chunk));
  channel.on('exit', (code: number | null, signalName?: string) => {
    state.sawExit = true;
    state.exitCode = typeof code === 'number' ? code : null;
    state.exitSignal = signalName ?? null;
  });
  // A channel error comes with (or before) the link going away; 'close' or the connection's close settles.
  channel.on('error', () => undefined);
  channel.stderr.on('error', () => undefined);
  channel.on('close', () => {
    state.channelClosed = true;
    state.wakeOnClose?.();
    onClosed();
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
  refuseToStart(connection, signal);
  const channel = await openExec(connection, wrapWithPid(argv));
  const output = createOutputBuffers(options.maxOutputBytes ?? defaultMaxOutput);
  const killAfterMs = options.killAfterMs ?? 5_000;
  const name = argv[0] ?? 'The command';
  const lost = (): WorkbenchFailure =>
    new WorkbenchFailure('CONNECTION_LOST', `The connection to ${connection.label} was lost while ${name} ran.`, { subject: connection.label });
  const cancelled = (): WorkbenchFailure => new WorkbenchFailure('CANCELLED', `${name} was cancelled.`);

  return new Promise<CommandResult>((resolve, reject) => {
    const state: CommandState = { remotePid: undefined, exitCode: null, exitSignal: null, sawExit: false, channelClosed: false, wakeOnClose: undefined };
    let aborting = false;
    let settled = false;

    const settle = (error?: WorkbenchFailure): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      removeClose();
      if (error) reject(error);
      else resolve({ exitCode: state.exitCode, signal: state.exitSignal, stdout: output.take('stdout'), stderr: output.take('stderr') });
    };
    const onAbort = (): void => {
      if (aborting || settled) return;
      aborting = true;
      void terminate(connection, channel, state, killAfterMs).then(() => settle(cancelled()));
    };
    const removeClose = connection.onClose(() => settle(aborting ? cancelled() : lost()));
    signal?.addEventListener('abort', onAbort, { once: true });
    // The signal may have fired while the channel was opening.
    if (signal?.aborted) onAbort();

    watchChannel(channel, state, output, options.onStdout, () => {
      if (aborting) return;
      // A channel closed without an exit status means the link went away under it.
      if (!state.sawExit || connection.closed) settle(lost());
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
