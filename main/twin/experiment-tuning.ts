import type { LoadSettings, TuningRequest, TuningRow } from '../../preload/api';
import { WorkbenchFailure, isAbortError, toWorkbenchError } from '../errors';
import type { JobContext } from '../jobs/job-runner';
import { configDiff } from './config-diff';
import { readParameter, setParameter, type ConfigSyntax } from './config-edit';
import { findProfile, parameterContext } from './service-profiles';
import { parseExec, parseFileGet, parseLoad, type LoadPayload } from './twin-payloads';
import type { TwinService } from './twin-service';
import { tuningSchedule } from './tuning-schedule';
import { DEFAULT_MAX_ERROR_RATIO, recommendValue, summarizeValue, type RepetitionMeasurement } from './tuning-stats';

/** The largest configuration file the runner edits: a bigger one is not a hand-kept service config. */
const MAX_CONFIG_BYTES = 256 * 1024;

/** One load run as the bundle keeps it. */
export interface TuningRunRecord {
  readonly value: string;
  readonly repetition: number;
  readonly startedAt: string;
  readonly report: LoadPayload['report'] | null;
  readonly reload: { readonly exitCode: number | null; readonly output: string } | null;
  readonly failure?: string;
}

/** What a tuning run produced, finished or stopped early. */
export interface TuningResult {
  readonly service: string;
  readonly configPath: string;
  readonly parameter: string;
  readonly originalValue: string | null;
  readonly originalConfig: string;
  readonly recommendedConfig: string | null;
  readonly rows: readonly TuningRow[];
  readonly recommended: ReturnType<typeof recommendValue>;
  readonly diff: string;
  readonly runs: readonly TuningRunRecord[];
  readonly seed: number;
  readonly load: LoadSettings;
  readonly repetitions: number;
  /** Set when the run stopped before the end (the twin went away, cancel, a lease lost). */
  readonly stoppedBy?: ReturnType<typeof toWorkbenchError>;
}

/** The twin's side of a tuning run: file, exec and load verbs on one twin. */
interface TwinOps {
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, content: string): Promise<void>;
  exec(argv: readonly string[], timeoutSeconds: number): Promise<{ exitCode: number | null; output: string }>;
  load(args: Record<string, unknown>): Promise<LoadPayload>;
}

function twinOps(twins: TwinService, hostId: string, twinId: string, alias: string, context: JobContext): TwinOps {
  return {
    async readFile(path) {
      const shown = parseExec(await twins.run(hostId, 'exec', { cloneId: twinId, path: '/bin/cat', args: [path], timeoutSeconds: 30 }, context), alias);
      if (shown.exitCode !== 0) throw new WorkbenchFailure('NOT_FOUND', `The twin cannot read ${path}: ${Buffer.from(shown.stderrBase64, 'base64').toString('utf8').trim()}`, { subject: path });
      const bytes = Buffer.from(shown.stdoutBase64, 'base64');
      if (shown.stdoutTruncated === true || bytes.length > MAX_CONFIG_BYTES) {
        throw new WorkbenchFailure('VALIDATION_FAILED', `${path} in the twin is larger than ${MAX_CONFIG_BYTES / 1024} KiB: not a configuration file the runner edits.`);
      }
      return bytes;
    },
    async writeFile(path, content) {
      await twins.run(hostId, 'file-put', { cloneId: twinId, path, contentBase64: Buffer.from(content, 'utf8').toString('base64') }, context);
    },
    async exec(argv, timeoutSeconds) {
      const [path, ...args] = argv;
      const shown = parseExec(await twins.run(hostId, 'exec', { cloneId: twinId, path, args, timeoutSeconds }, context), alias);
      const output = `${Buffer.from(shown.stderrBase64, 'base64').toString('utf8')}${Buffer.from(shown.stdoutBase64, 'base64').toString('utf8')}`.trim();
      return { exitCode: shown.exitCode, output: output.slice(0, 4096) };
    },
    load: async (args) => parseLoad(await twins.run(hostId, 'load', { cloneId: twinId, ...args }, context), alias),
  };
}

/** The load verb's arguments for the settings, aimed at the twin's forward on `hostPort`. */
export function loadArgs(load: LoadSettings, hostPort: number, accessLogOnHost: string | null): Record<string, unknown> {
  const base = `http://127.0.0.1:${hostPort}`;
  return {
    mode: load.mode,
    concurrency: load.concurrency,
    ...(load.mode === 'open' ? { rate: load.rate ?? 10 } : {}),
    warmupSeconds: load.warmupSeconds,
    durationSeconds: load.durationSeconds,
    ...(load.source.kind === 'paths'
      ? { targets: load.source.paths.map((path) => `${base}${path.startsWith('/') ? path : `/${path}`}`) }
      : { accessLog: { path: accessLogOnHost, lastN: load.source.lastN }, baseUrl: base }),
  };
}

function measurement(repetition: number, report: LoadPayload['report']): RepetitionMeasurement {
  return {
    repetition,
    throughputRps: report.achievedRate,
    p95Ms: report.latencyMs.p95 ?? null,
    p99Ms: report.latencyMs.p99 ?? null,
    errors: report.requests.errors,
    requests: report.requests.sent,
  };
}

/**
 * Tries each candidate value on the twin, under load, interleaved over the rounds; restores the
 * twin's file after a value that breaks the service and at the end, whatever happened.
 *
 * Production is never touched: every verb names the twin, and the load verb itself refuses any
 * target that is not one of that twin's forwards.
 */
export async function runTuning(twins: TwinService, request: TuningRequest, alias: string, context: JobContext, hostPort: number): Promise<TuningResult> {
  const profile = request.profileId === undefined ? null : findProfile(request.profileId);
  if (request.profileId !== undefined && profile === null) throw new WorkbenchFailure('VALIDATION_FAILED', `No known service profile ${request.profileId}.`);
  const address = { key: request.parameter, context: parameterContext(profile, request.parameter) };
  const checkArgv = profile?.checkArgv ?? null;
  const syntax: ConfigSyntax = profile?.syntax ?? 'key-equals-value';
  const reloadArgv = request.reloadArgv ?? profile?.reloadArgv ?? null;
  const ops = twinOps(twins, request.hostId, request.twinId, alias, context);
  // The final restore must run after a cancel too, when the job's own signal has already fired and
  // the helper would refuse every verb at once: it gets a signal of its own, bounded in time.
  const restoreOps = (): TwinOps => twinOps(twins, request.hostId, request.twinId, alias, { ...context, signal: AbortSignal.timeout(180_000) });
  const seed = Date.now() % 2_147_483_647;
  const schedule = tuningSchedule(request.values.length, request.repetitions, seed);
  const runs: TuningRunRecord[] = [];
  const measured = new Map<number, RepetitionMeasurement[]>(request.values.map((_, index) => [index, []]));
  const failures = new Map<number, string>();
  let stoppedBy: ReturnType<typeof toWorkbenchError> | undefined;

  context.progress(0.02, `Reading ${request.configPath} in the twin`);
  const originalBytes = await ops.readFile(request.configPath);
  const original = originalBytes.toString('utf8');
  if (Buffer.from(original, 'utf8').compare(originalBytes) !== 0) throw new WorkbenchFailure('VALIDATION_FAILED', `${request.configPath} is not UTF-8 text.`);
  const originalValue = readParameter(original, syntax, address).value;
  const edited = request.values.map((value) => setParameter(original, syntax, address, value).text);

  let accessLogOnHost: string | null = null;
  if (request.load.source.kind === 'access-log') {
    context.progress(0.04, `Fetching ${request.load.source.logPath} from the twin`);
    accessLogOnHost = parseFileGet(await twins.run(request.hostId, 'file-get', { cloneId: request.twinId, path: request.load.source.logPath, maxBytes: 64 * 1024 * 1024 }, context), alias).localPath;
  }

  /** Writes the file, checks it when the service has a checker, reloads; the first refusal is returned. */
  const apply = async (content: string, via: TwinOps = ops): Promise<{ exitCode: number | null; output: string } | null> => {
    await via.writeFile(request.configPath, content);
    if (checkArgv !== null) {
      const checked = await via.exec(checkArgv, 60);
      if (checked.exitCode !== 0) return checked;
    }
    return reloadArgv === null ? null : via.exec(reloadArgv, 60);
  };
  let applied: number | null = null;
  const restore = async (via: TwinOps = ops): Promise<void> => {
    if (applied === null) return;
    applied = null;
    await apply(original, via);
  };

  try {
    for (const [step, run] of schedule.entries()) {
      if (context.signal.aborted) throw new WorkbenchFailure('CANCELLED', 'The tuning run was cancelled.');
      if (failures.has(run.valueIndex)) continue;
      const value = request.values[run.valueIndex] ?? '';
      const share = (done: number): number => 0.05 + (0.9 * (step + done)) / schedule.length;
      context.progress(share(0), `${request.parameter} = ${value}, round ${run.repetition} of ${request.repetitions}: applying`);
      const startedAt = new Date().toISOString();
      // Marked before the write: a check or reload that throws after the file was written must still
      // leave the original to be put back.
      applied = run.valueIndex;
      const reload = await apply(edited[run.valueIndex] ?? original);
      if (reload !== null && reload.exitCode !== 0) {
        const failure = `The service refused ${request.parameter} = ${value}: ${reload.output || `exit status ${String(reload.exitCode)}`}`;
        failures.set(run.valueIndex, failure);
        runs.push({ value, repetition: run.repetition, startedAt, report: null, reload, failure });
        await restore();
        continue;
      }
      // Is it answering? A few requests, no warm-up: a service that does not come back fails the value.
      const check = await ops.load({ ...loadArgs({ ...request.load, mode: 'closed', concurrency: 1, warmupSeconds: 0, durationSeconds: 10 }, hostPort, accessLogOnHost), maxRequests: 3 });
      if (check.report.requests.ok === 0) {
        const kinds = Object.keys(check.report.errors).join(', ') || 'no answer';
        const failure = `The service did not answer after ${request.parameter} = ${value} (${kinds}).`;
        failures.set(run.valueIndex, failure);
        runs.push({ value, repetition: run.repetition, startedAt, report: check.report, reload, failure });
        await restore();
        continue;
      }
      context.progress(share(0.2), `${request.parameter} = ${value}, round ${run.repetition} of ${request.repetitions}: measuring`);
      const { report } = await ops.load(loadArgs(request.load, hostPort, accessLogOnHost));
      runs.push({ value, repetition: run.repetition, startedAt, report, reload });
      measured.get(run.valueIndex)?.push(measurement(run.repetition, report));
    }
  } catch (error) {
    stoppedBy = isAbortError(error) ? { code: 'CANCELLED', message: 'The tuning run was cancelled.', hint: '' } : toWorkbenchError(error);
    if (stoppedBy.code === 'HELPER_FAILED' || stoppedBy.code === 'NOT_FOUND') {
      stoppedBy = { ...stoppedBy, code: 'TWIN_UNRESPONSIVE', message: `The twin stopped answering during the tuning run: ${stoppedBy.message}` };
    }
  } finally {
    context.progress(0.96, `Restoring ${request.configPath} in the twin`);
    await restore(restoreOps()).catch(() => undefined);
  }

  const results = request.values.map((value, index) => {
    const failure = failures.get(index);
    return summarizeValue(value, measured.get(index) ?? [], {
      maxErrorRatio: request.maxErrorRatio ?? DEFAULT_MAX_ERROR_RATIO,
      ...(failure === undefined ? {} : { failure }),
    });
  });
  const recommended = recommendValue(request.parameter, results);
  const recommendedIndex = recommended === null ? -1 : request.values.indexOf(recommended.value);
  const recommendedConfig = recommendedIndex < 0 ? null : (edited[recommendedIndex] ?? null);
  return {
    service: profile?.title ?? request.configPath,
    configPath: request.configPath,
    parameter: request.parameter,
    originalValue,
    originalConfig: original,
    recommendedConfig,
    rows: results.map((result) => result.row),
    recommended,
    diff: recommendedConfig === null || recommendedConfig === original ? '' : configDiff(request.configPath, original, recommendedConfig),
    runs,
    seed,
    load: request.load,
    repetitions: request.repetitions,
    ...(stoppedBy === undefined ? {} : { stoppedBy }),
  };
}
