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
export type HelperVerb = 'probe' | 'list' | 'clone' | 'collect' | 'exec' | 'file-get' | 'file-put' | 'dump' | 'destroy' | 'recover' | 'gc';

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
  const host = request.hostLabel;
  throwIfAborted(signal);
  const helperDir = await access.helperDir(request.hostId, signal);
  const files = remoteJobFiles(helperDir, context.jobId);
  const launched = await access.runPrivileged(request.hostId, launchArgv(files, helperArgv(helperDir, request)), { signal, maxOutputBytes: 4096 });
  const pid = Number(launched.stdout.toString('utf8').trim());
  if (launched.exitCode !== 0 || !Number.isInteger(pid) || pid <= 1) {
    const reason = launched.stderr.toString('utf8').trim().split('\n').pop() ?? '';
    throw new WorkbenchFailure('HELPER_FAILED', `The helper could not be started on ${host} (exit ${launched.exitCode ?? launched.signal}): ${reason}`, {
      subject: host,
    });
  }
  options.onLaunched?.({ pid, files });
  log.info(`${request.verb} on ${host}: helper pid ${pid}, output ${files.output}`);

  let termDelivered = false;
  let killTimer: NodeJS.Timeout | undefined;
  const sendSignal = async (name: 'TERM' | 'KILL'): Promise<boolean> => {
    try {
      await access.runPrivileged(request.hostId, signalArgv(pid, name), { maxOutputBytes: 4096 });
      return true;
    } catch (error) {
      log.warn(`could not send ${name} to the helper on ${host}: ${toWorkbenchError(error).code}`);
      return false;
    }
  };
  const deliverCancel = async (): Promise<void> => {
    if (termDelivered) return;
    termDelivered = await sendSignal('TERM');
    if (termDelivered && killTimer === undefined) {
      killTimer = setTimeout(() => void sendSignal('KILL'), options.rollbackTimeoutMs ?? 120_000);
    }
  };
  const onAbort = (): void => void deliverCancel();
  signal.addEventListener('abort', onAbort, { once: true });

  let offset = 0;
  let sawHello = false;
  let final: HelperFinal | undefined;
  let lastValue = 0;
  const handleLine = (line: string): void => {
    if (line.trim() === '') return;
    const message = parseHelperLine(line, host);
    if (!sawHello) {
      checkHello(message, host);
      sawHello = true;
      return;
    }
    if (final !== undefined) return;
    switch (message.type) {
      case 'hello':
        throw new WorkbenchFailure('HELPER_FAILED', `The helper on ${host} said hello twice.`, { subject: host });
      case 'progress':
        lastValue = message.value;
        context.progress(message.value, message.step, message.message);
        return;
      default:
        final = message;
    }
  };

  try {
    for (let attempt = 0; ; ) {
      const reader = createLineReader(offset);
      const stream = new AbortController();
      let protocolError: unknown;
      try {
        const streamed = await access.runPrivileged(request.hostId, streamArgv(files, offset), {
          signal: stream.signal,
          maxOutputBytes: 0,
          onStdout: (chunk) => {
            if (protocolError !== undefined) return;
            try {
              for (const line of reader.push(chunk)) handleLine(line);
              offset = reader.offset;
            } catch (error) {
              protocolError = error;
              stream.abort();
            }
          },
        });
        if (protocolError !== undefined) throw protocolError;
        if (streamed.exitCode !== 0 && final === undefined) {
          throw new WorkbenchFailure('NOT_FOUND', `The output of helper job ${context.jobId} is missing on ${host}.`, {
            subject: host,
            hint: 'The job files under ~/.cache/civic-workbench/jobs were removed. Run recover on the host to clean up any clone.',
          });
        }
        break;
      } catch (error) {
        if (protocolError !== undefined) throw protocolError;
        const code = toWorkbenchError(error).code;
        if (code !== 'CONNECTION_LOST') throw error;
        if (attempt >= (options.reattachAttempts ?? 6)) {
          throw new WorkbenchFailure('CONNECTION_LOST', `The connection to ${host} was lost while the helper ran ${request.verb}, and it did not come back.`, {
            subject: host,
            hint: 'The helper goes on on the host. Reconnect, then run recover there to finish or roll back its work.',
          });
        }
        context.progress(lastValue, 'Connection lost; re-attaching', toWorkbenchError(error).message);
        // Retry until connected or out of attempts; the helper keeps writing its file meanwhile.
        for (;;) {
          await abortableDelay((options.reattachDelayMs ?? defaultReattachDelay)(attempt), signal).catch((waitError: unknown) => {
            throw signal.aborted
              ? new WorkbenchFailure('CANCELLED', `Cancelled while ${host} was unreachable; the helper may still run there.`, {
                  subject: host,
                  hint: 'Reconnect and run recover on the host to roll back what the helper did.',
                })
              : waitError;
          });
          attempt += 1;
          try {
            await access.reconnect(request.hostId, signal);
            break;
          } catch (reconnectError) {
            if (signal.aborted) throw reconnectError;
            if (attempt >= (options.reattachAttempts ?? 6)) throw reconnectError;
          }
        }
        log.info(`re-attached to helper job ${context.jobId} on ${host} at byte ${offset}`);
        context.progress(lastValue, 'Re-attached', `Re-attached at byte ${offset}.`);
        if (signal.aborted) await deliverCancel();
      }
    }

    const ended: HelperFinal | undefined = final;
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
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (killTimer !== undefined) clearTimeout(killTimer);
  }
}
