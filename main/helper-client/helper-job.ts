import { WorkbenchFailure, throwIfAborted, toWorkbenchError } from '../errors';
import type { JobContext } from '../jobs/job-runner';
import { createLogger } from '../logging/logger';
import type { CommandOptions, CommandResult } from '../ssh/remote-command';
import { helperEntryPath } from './helper-deploy';
import { createLineReader } from './helper-line-reader';
import { checkHello, helperErrorToFailure, parseHelperLine, type HelperFinal } from './helper-messages';
import { errorTailArgv, launchArgv, remoteJobFiles, removeArgv, signalArgv, streamArgv, type RemoteJobFiles } from './remote-job-files';
import { abortableDelay } from '../jobs/abortable-delay';

const log = createLogger('helper');

/** The verbs of the helper protocol. */
export type HelperVerb = 'probe' | 'list' | 'clone' | 'collect' | 'exec' | 'file-get' | 'file-put' | 'dump' | 'destroy' | 'recover' | 'gc' | 'renew' | 'forward' | 'load';

/** What a helper job needs from the SSH side. */
export interface HelperHostAccess {
  /** Runs argv as root on the host (`sudo -n` for other users; SUDO_PASSWORD_REQUIRED when it wants one). */
  runPrivileged(hostId: string, argv: readonly string[], options?: CommandOptions): Promise<CommandResult>;
  /** The deployed helper folder on the host, deploying (and checking its hello) when needed. */
  helperDir(hostId: string, signal: AbortSignal): Promise<string>;
  /** Resolves once the host is connected again, reconnecting when needed. */
  reconnect(hostId: string, signal: AbortSignal): Promise<void>;
}

/** One run of a helper verb. */
export interface HelperJobRequest {
  readonly hostId: string;
  /** How the host is named in messages. */
  readonly hostLabel: string;
  readonly verb: HelperVerb;
  readonly args: Readonly<Record<string, unknown>>;
  /** `--qmp-dir` folders; empty leaves the helper's defaults. */
  readonly qmpDirs: readonly string[];
}

/** Tuning of re-attach and cancel; the defaults suit real hosts, tests shorten them. */
export interface HelperJobOptions {
  /** How many times to try to re-attach after a lost connection before giving up. */
  readonly reattachAttempts?: number;
  /** The wait before re-attach attempt `attempt` (0-based). */
  readonly reattachDelayMs?: (attempt: number) => number;
  /** After TERM, how long the helper may roll back before it gets KILL. */
  readonly rollbackTimeoutMs?: number;
  /** Told the helper's pid and files once it runs (tests find the process with it). */
  readonly onLaunched?: (launch: { readonly pid: number; readonly files: RemoteJobFiles }) => void;
}

function defaultReattachDelay(attempt: number): number {
  return Math.min(8_000, 1_000 * 2 ** attempt);
}

/** The helper's command line: verb, QMP folders, then the verb's arguments as one JSON object. */
export function helperArgv(helperDir: string, request: Pick<HelperJobRequest, 'verb' | 'args' | 'qmpDirs'>): string[] {
  return [
    'python3',
    helperEntryPath(helperDir),
    request.verb,
    ...request.qmpDirs.flatMap((folder) => ['--qmp-dir', folder]),
    '--json-args',
    JSON.stringify(request.args),
  ];
}

/** The helper started on the host: its pid (also its process group) and its job files. */
interface LaunchedHelper {
  readonly pid: number;
  readonly files: RemoteJobFiles;
}

/** Launch: starts the helper detached, its output going to the job's file, and reads back its pid. */
async function launchHelper(access: HelperHostAccess, request: HelperJobRequest, context: JobContext): Promise<LaunchedHelper> {
  const host = request.hostLabel;
  const helperDir = await access.helperDir(request.hostId, context.signal);
  const files = remoteJobFiles(helperDir, context.jobId);
  const launched = await access.runPrivileged(request.hostId, launchArgv(files, helperArgv(helperDir, request)), { signal: context.signal, maxOutputBytes: 4096 });
  const pid = Number(launched.stdout.toString('utf8').trim());
  if (launched.exitCode !== 0 || !Number.isInteger(pid) || pid <= 1) {
    const reason = launched.stderr.toString('utf8').trim().split('\n').pop() ?? '';
    throw new WorkbenchFailure('HELPER_FAILED', `The helper could not be started on ${host} (exit ${launched.exitCode ?? launched.signal}): ${reason}`, {
      subject: host,
    });
  }
  return { pid, files };
}

/** Cancelling a running helper: TERM once (it rolls back), KILL after the rollback timeout. */
interface HelperCanceller {
  /** Sends TERM unless it was delivered already; arms the KILL timer. */
  deliver(): Promise<void>;
  /** Clears the KILL timer. */
  dispose(): void;
}

function createCanceller(access: HelperHostAccess, request: HelperJobRequest, pid: number, rollbackTimeoutMs: number): HelperCanceller {
  let termDelivered = false;
  let killTimer: NodeJS.Timeout | undefined;
  const sendSignal = async (name: 'TERM' | 'KILL'): Promise<boolean> => {
    try {
      await access.runPrivileged(request.hostId, signalArgv(pid, name), { maxOutputBytes: 4096 });
      return true;
    } catch (error) {
      log.warn(`could not send ${name} to the helper on ${request.hostLabel}: ${toWorkbenchError(error).code}`);
      return false;
    }
  };
  return {
    async deliver() {
      if (termDelivered) return;
      termDelivered = await sendSignal('TERM');
      if (termDelivered && killTimer === undefined) {
        killTimer = setTimeout(() => void sendSignal('KILL'), rollbackTimeoutMs);
      }
    },
    dispose() {
      if (killTimer !== undefined) clearTimeout(killTimer);
    },
  };
}

/** What has been read of the helper's output file so far. */
interface HelperOutput {
  /** Bytes of the file consumed as whole lines: where a re-attached stream resumes. */
  offset: number;
  sawHello: boolean;
  /** The `result` or `error` line, once read; lines after it are ignored. */
  final: HelperFinal | undefined;
  /** The last progress value, repeated in re-attach progress. */
  lastValue: number;
}

/** Reads one output line: the hello first, then progress (to the job) until the final line. Throws on a protocol error. */
function readHelperLine(output: HelperOutput, line: string, host: string, context: JobContext): void {
  if (line.trim() === '') return;
  const message = parseHelperLine(line, host);
  if (!output.sawHello) {
    checkHello(message, host);
    output.sawHello = true;
    return;
  }
  if (output.final !== undefined) return;
  switch (message.type) {
    case 'hello':
      throw new WorkbenchFailure('HELPER_FAILED', `The helper on ${host} said hello twice.`, { subject: host });
    case 'progress':
      output.lastValue = message.value;
      context.progress(message.value, message.step, message.message);
      return;
    default:
      output.final = message;
  }
}

/** How one stream of the output file ended: to its end, or with the connection lost (then re-attach). */
type StreamEnd = { readonly ended: true } | { readonly ended: false; readonly lost: unknown };

/**
 * Stream: follows the output file from `output.offset` until the helper's stream ends.
 *
 * A protocol error stops the stream and is thrown as it is; a lost connection is returned, so the
 * caller can re-attach; a stream that ends without a final line because the file is gone is NOT_FOUND.
 */
async function streamOutput(access: HelperHostAccess, request: HelperJobRequest, files: RemoteJobFiles, output: HelperOutput, context: JobContext): Promise<StreamEnd> {
  const host = request.hostLabel;
  const reader = createLineReader(output.offset);
  const stream = new AbortController();
  let protocolError: unknown;
  try {
    const streamed = await access.runPrivileged(request.hostId, streamArgv(files, output.offset), {
      signal: stream.signal,
      maxOutputBytes: 0,
      onStdout: (chunk) => {
        if (protocolError !== undefined) return;
        try {
          for (const line of reader.push(chunk)) readHelperLine(output, line, host, context);
          output.offset = reader.offset;
        } catch (error) {
          protocolError = error;
          stream.abort();
        }
      },
    });
    if (protocolError !== undefined) throw protocolError;
    if (streamed.exitCode !== 0 && output.final === undefined) {
      throw new WorkbenchFailure('NOT_FOUND', `The output of helper job ${context.jobId} is missing on ${host}.`, {
        subject: host,
        hint: 'The job files under ~/.cache/civic-workbench/jobs were removed. Run recover on the host to clean up any clone.',
      });
    }
    return { ended: true };
  } catch (error) {
    if (protocolError !== undefined) throw protocolError;
    if (toWorkbenchError(error).code !== 'CONNECTION_LOST') throw error;
    return { ended: false, lost: error };
  }
}

/**
 * Re-attach: waits and reconnects until connected or out of attempts; returns the attempts used.
 *
 * The helper keeps writing its file meanwhile, so nothing is lost; a cancel while the host is
 * unreachable is CANCELLED with the advice to run recover.
 */
async function reattach(access: HelperHostAccess, request: HelperJobRequest, output: HelperOutput, context: JobContext, lost: unknown, attempt: number, options: HelperJobOptions): Promise<number> {
  const { signal } = context;
  const host = request.hostLabel;
  const attempts = options.reattachAttempts ?? 6;
  if (attempt >= attempts) {
    throw new WorkbenchFailure('CONNECTION_LOST', `The connection to ${host} was lost while the helper ran ${request.verb}, and it did not come back.`, {
      subject: host,
      hint: 'The helper goes on on the host. Reconnect, then run recover there to finish or roll back its work.',
    });
  }
  context.progress(output.lastValue, 'Connection lost; re-attaching', toWorkbenchError(lost).message);
  let used = attempt;
  for (;;) {
    await abortableDelay((options.reattachDelayMs ?? defaultReattachDelay)(used), signal).catch((waitError: unknown) => {
      throw signal.aborted
        ? new WorkbenchFailure('CANCELLED', `Cancelled while ${host} was unreachable; the helper may still run there.`, {
            subject: host,
            hint: 'Reconnect and run recover on the host to roll back what the helper did.',
          })
        : waitError;
    });
    used += 1;
    try {
      await access.reconnect(request.hostId, signal);
      break;
    } catch (reconnectError) {
      if (signal.aborted) throw reconnectError;
      if (used >= attempts) throw reconnectError;
    }
  }
  log.info(`re-attached to helper job ${context.jobId} on ${host} at byte ${output.offset}`);
  context.progress(output.lastValue, 'Re-attached', `Re-attached at byte ${output.offset}.`);
  return used;
}

/** Finish: the final line's payload (or its error as a failure) once the job files are removed; no final line is HELPER_FAILED with the error tail. */
async function finishHelperJob(access: HelperHostAccess, request: HelperJobRequest, files: RemoteJobFiles, output: HelperOutput): Promise<unknown> {
  const host = request.hostLabel;
  const ended = output.final;
  if (ended === undefined) {
    const tail = await access
      .runPrivileged(request.hostId, errorTailArgv(files), { maxOutputBytes: 4096 })
      .then((result) => result.stdout.toString('utf8').trim().split('\n').pop() ?? '')
      .catch(() => '');
    throw new WorkbenchFailure('HELPER_FAILED', `The helper on ${host} stopped without a final line${tail ? `: ${tail}` : '.'}`, {
      subject: host,
      hint: 'It was killed or crashed. Run recover on the host to roll back or finish what it started.',
    });
  }
  await access.runPrivileged(request.hostId, removeArgv(files), { maxOutputBytes: 4096 }).catch(() => undefined);
  if (ended.type === 'error') throw helperErrorToFailure(ended, host);
  return ended.payload;
}

/**
 * Runs one helper verb on a host as the work of a job, and returns the `result` payload.
 *
 * The helper runs detached with its output in a job file, which is streamed by byte offset: a lost
 * connection does not stop the helper, and after a reconnect streaming resumes where it stopped, so
 * the job still ends with the helper's own result. `progress` lines become job progress; an `error`
 * line becomes a WorkbenchFailure with the helper's code. Cancel sends TERM to the helper's process
 * group (the helper rolls back and reports CANCELLED), then KILL after `rollbackTimeoutMs`.
 */
export async function runHelperJob(
  access: HelperHostAccess,
  request: HelperJobRequest,
  context: JobContext,
  options: HelperJobOptions = {},
): Promise<unknown> {
  const { signal } = context;
  throwIfAborted(signal);
  const { pid, files } = await launchHelper(access, request, context);
  options.onLaunched?.({ pid, files });
  log.info(`${request.verb} on ${request.hostLabel}: helper pid ${pid}, output ${files.output}`);

  const canceller = createCanceller(access, request, pid, options.rollbackTimeoutMs ?? 120_000);
  const onAbort = (): void => void canceller.deliver();
  signal.addEventListener('abort', onAbort, { once: true });
  const output: HelperOutput = { offset: 0, sawHello: false, final: undefined, lastValue: 0 };
  try {
    for (let attempt = 0; ; ) {
      const end = await streamOutput(access, request, files, output, context);
      if (end.ended) break;
      attempt = await reattach(access, request, output, context, end.lost, attempt, options);
      if (signal.aborted) await canceller.deliver();
    }
    return await finishHelperJob(access, request, files, output);
  } finally {
    signal.removeEventListener('abort', onAbort);
    canceller.dispose();
  }
}
