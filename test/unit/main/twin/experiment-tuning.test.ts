import { describe, expect, it } from 'vitest';
import type { TuningRequest } from '../../../../preload/api';
import { WorkbenchFailure, throwIfAborted } from '../../../../main/errors';
import type { HelperVerb } from '../../../../main/helper-client/helper-job';
import type { JobContext } from '../../../../main/jobs/job-runner';
import { runTuning } from '../../../../main/twin/experiment-tuning';
import type { TwinService } from '../../../../main/twin/twin-service';
import { tuningSchedule } from '../../../../main/twin/tuning-schedule';

const CONFIG = '/etc/civic-web.conf';
const ORIGINAL = '# civic-web\nlisten = 0.0.0.0:8080\nworkers = 2\nbackend_ms = 0\n';

/** What the twin saw, in order. */
type Step = { readonly kind: 'put'; readonly content: string } | { readonly kind: 'reload'; readonly workers: string } | { readonly kind: 'load'; readonly check: boolean; readonly workers: string };

/**
 * A twin running civic-web, behind the helper's `exec`, `file-put` and `load` verbs
 * (docs/helper-protocol.md): `civic-web-ctl reload` refuses a workers value that is not a number,
 * and each worker serves 100 requests per second.
 */
function fakeTwin(options: { readonly failLoadAt?: number; readonly failReloadAt?: number; readonly abortAtLoad?: { readonly at: number; readonly controller: AbortController } } = {}) {
  const files = new Map([[CONFIG, ORIGINAL]]);
  const steps: Step[] = [];
  let loads = 0;
  let reloads = 0;
  const workers = (): string => /^workers = (.*)$/m.exec(files.get(CONFIG) ?? '')?.[1] ?? '';
  const exec = (argv: readonly string[], stdout: string, stderr = '', exitCode = 0) => ({
    cloneId: 'cw-000000000001', argv, pid: 9, exitCode, signal: null,
    stdoutBase64: Buffer.from(stdout).toString('base64'), stderrBase64: Buffer.from(stderr).toString('base64'), stdoutTruncated: false, stderrTruncated: false,
  });
  const report = (requests: number, rate: number) => ({
    source: { kind: 'targets' },
    report: {
      mode: 'closed', offeredRate: rate, achievedRate: rate, responseRate: rate, measuredSeconds: 5,
      requests: { sent: requests, ok: requests, errors: 0 }, errors: {},
      latencyMs: { p50: 5, p95: 1000 / rate, p99: 2000 / rate, max: 50 }, timeline: [],
    },
  });
  const run = async (hostId: string, verb: HelperVerb, args: Readonly<Record<string, unknown>>, context: JobContext): Promise<unknown> => {
    expect(hostId).toBe('app:lab');
    expect(args['cloneId']).toBe('cw-000000000001');
    // As the helper client does: a job whose signal fired runs nothing more.
    throwIfAborted(context.signal);
    switch (verb) {
      case 'exec': {
        const argv = [String(args['path']), ...((args['args'] as string[] | undefined) ?? [])];
        if (argv[0] === '/bin/cat') return exec(argv, files.get(String(argv[1])) ?? '');
        if (argv.join(' ') === '/usr/sbin/civic-web-ctl reload') {
          reloads += 1;
          steps.push({ kind: 'reload', workers: workers() });
          if (reloads === options.failReloadAt) throw new WorkbenchFailure('HELPER_FAILED', 'The guest agent did not answer.');
          return /^\d+$/.test(workers()) ? exec(argv, 'reloaded\n') : exec(argv, '', `civic-web-ctl: workers must be a number, not "${workers()}"\n`, 1);
        }
        throw new Error(`unexpected exec ${argv.join(' ')}`);
      }
      case 'file-put': {
        const content = Buffer.from(String(args['contentBase64']), 'base64').toString('utf8');
        files.set(String(args['path']), content);
        steps.push({ kind: 'put', content });
        return { cloneId: args['cloneId'], guestPath: args['path'], size: content.length, sha256: '0'.repeat(64) };
      }
      case 'load': {
        loads += 1;
        const check = args['maxRequests'] === 3;
        steps.push({ kind: 'load', check, workers: workers() });
        expect(args['targets']).toEqual(['http://127.0.0.1:40123/']);
        if (loads === options.failLoadAt) throw new WorkbenchFailure('HELPER_FAILED', 'The clone QEMU died.');
        if (loads === options.abortAtLoad?.at) {
          options.abortAtLoad.controller.abort(new WorkbenchFailure('CANCELLED', 'Cancelled by the user.'));
          throw new WorkbenchFailure('CANCELLED', 'Cancelled by the user.');
        }
        return check ? report(3, 10) : report(500, Number(workers()) * 100 + loads % 3);
      }
      default:
        throw new Error(`unexpected verb ${verb}`);
    }
  };
  const unused = (): never => {
    throw new Error('not used by a tuning run');
  };
  const twins: TwinService = { start: unused, started: unused, list: unused, renew: unused, destroy: unused, openForward: unused, exec: unused, get: unused, close: unused, run };
  return { twins, steps, files };
}

function request(values: readonly string[]): TuningRequest {
  return {
    hostId: 'app:lab',
    twinId: 'cw-000000000001',
    profileId: 'civic-web',
    configPath: CONFIG,
    parameter: 'workers',
    values,
    port: 8080,
    load: { mode: 'closed', concurrency: 4, warmupSeconds: 1, durationSeconds: 5, source: { kind: 'paths', paths: ['/'] } },
    repetitions: 5,
  };
}

const context = (signal: AbortSignal = new AbortController().signal): JobContext => ({ jobId: 'job-1', signal, progress: () => undefined });
const putWorkers = (steps: readonly Step[]): string[] => steps.flatMap((step) => (step.kind === 'put' ? [/^workers = (.*)$/m.exec(step.content)?.[1] ?? ''] : []));

describe('runTuning', () => {
  it('applies the values in the interleaved order, each run a check and a measured load, and restores the file', async () => {
    const twin = fakeTwin();
    const values = ['1', '2', '4'];
    const result = await runTuning(twin.twins, request(values), 'lab', context(), 40_123);
    const order = tuningSchedule(values.length, 5, result.seed).map((run) => values[run.valueIndex]);
    // Every value is written, then the original once at the end.
    expect(putWorkers(twin.steps)).toEqual([...order, '2']);
    expect(twin.steps.at(-2)).toEqual({ kind: 'put', content: ORIGINAL });
    // Each run: the file, the reload, a few requests to see it answers, then the measurement.
    const perRun = twin.steps.slice(0, -2);
    expect(perRun).toHaveLength(order.length * 4);
    order.forEach((value, index) => {
      expect(perRun.slice(index * 4, index * 4 + 4).map((step) => (step.kind === 'load' ? `load${step.check ? ' check' : ''} ${step.workers}` : step.kind))).toEqual(['put', 'reload', `load check ${value}`, `load ${value}`]);
    });
    expect(twin.files.get(CONFIG)).toBe(ORIGINAL);
    expect(result.rows.map((row) => [row.value, row.status, row.runs.length])).toEqual([['1', 'ok', 5], ['2', 'ok', 5], ['4', 'ok', 5]]);
    expect(result.originalValue).toBe('2');
    expect(result.stoppedBy).toBeUndefined();
  });

  it('recommends the best value and gives the diff from the original file to it', async () => {
    const twin = fakeTwin();
    const result = await runTuning(twin.twins, request(['1', '4']), 'lab', context(), 40_123);
    expect(result.recommended?.value).toBe('4');
    expect(result.recommendedConfig).toBe(ORIGINAL.replace('workers = 2', 'workers = 4'));
    expect(result.diff).toContain('--- a/etc/civic-web.conf');
    expect(result.diff).toContain('+++ b/etc/civic-web.conf');
    expect(result.diff).toContain('-workers = 2\n+workers = 4\n');
    expect(result.diff).not.toContain('backend_ms = 1');
  });

  it('fails a value the service refuses, in its own words, and writes the original back before the next value', async () => {
    const twin = fakeTwin();
    const values = ['1', 'many', '4'];
    const result = await runTuning(twin.twins, request(values), 'lab', context(), 40_123);
    const failed = result.rows.find((row) => row.value === 'many');
    expect(failed?.status).toBe('failed');
    expect(failed?.failure).toContain('civic-web-ctl: workers must be a number, not "many"');
    // Tried once, never measured, and followed at once by the original file and its reload.
    const puts = putWorkers(twin.steps);
    expect(puts.filter((value) => value === 'many')).toHaveLength(1);
    const at = twin.steps.findIndex((step) => step.kind === 'put' && step.content.includes('workers = many'));
    expect(twin.steps.slice(at, at + 4)).toEqual([
      { kind: 'put', content: ORIGINAL.replace('workers = 2', 'workers = many') },
      { kind: 'reload', workers: 'many' },
      { kind: 'put', content: ORIGINAL },
      { kind: 'reload', workers: '2' },
    ]);
    expect(twin.steps.some((step) => step.kind === 'load' && step.workers === 'many')).toBe(false);
    expect(result.rows.filter((row) => row.status === 'ok').map((row) => row.runs.length)).toEqual([5, 5]);
    expect(twin.files.get(CONFIG)).toBe(ORIGINAL);
    expect(result.recommended?.value).toBe('4');
  });

  it('keeps the rows measured so far and restores the file when a load call throws mid-run', async () => {
    const twin = fakeTwin({ failLoadAt: 8 });
    const result = await runTuning(twin.twins, request(['1', '2', '4']), 'lab', context(), 40_123);
    expect(result.stoppedBy?.code).toBe('TWIN_UNRESPONSIVE');
    expect(result.stoppedBy?.message).toContain('The clone QEMU died.');
    // Loads 1..7 are 3 full runs and the check of the 4th, whose measurement threw.
    expect(result.runs).toHaveLength(3);
    expect(result.rows.reduce((sum, row) => sum + row.runs.length, 0)).toBe(3);
    expect(twin.steps.filter((step) => step.kind === 'put').at(-1)).toEqual({ kind: 'put', content: ORIGINAL });
    expect(twin.files.get(CONFIG)).toBe(ORIGINAL);
  });

  it('restores the file when the reload itself throws after the edit was written', async () => {
    // The very first reload: no value had been applied before it.
    const twin = fakeTwin({ failReloadAt: 1 });
    const result = await runTuning(twin.twins, request(['1', '4']), 'lab', context(), 40_123);
    expect(result.stoppedBy?.code).toBe('TWIN_UNRESPONSIVE');
    expect(twin.steps.filter((step) => step.kind === 'put').at(-1)).toEqual({ kind: 'put', content: ORIGINAL });
    expect(twin.files.get(CONFIG)).toBe(ORIGINAL);
  });

  it('restores the file after a cancel, although the job\'s own signal has fired', async () => {
    const controller = new AbortController();
    const twin = fakeTwin({ abortAtLoad: { at: 4, controller } });
    const result = await runTuning(twin.twins, request(['1', '4']), 'lab', context(controller.signal), 40_123);
    expect(result.stoppedBy?.code).toBe('CANCELLED');
    expect(result.rows.reduce((sum, row) => sum + row.runs.length, 0)).toBe(1);
    expect(twin.steps.filter((step) => step.kind === 'put').at(-1)).toEqual({ kind: 'put', content: ORIGINAL });
    expect(twin.files.get(CONFIG)).toBe(ORIGINAL);
  });
});
