import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { forwardedPort, labAcquire, labRelease, labVm } from '../support/lab';
import { median, type BenchRow, type BenchSection } from './bench-table';
import { helperVerb } from './helper-verb';
import { machineFacts } from './machine';

const run = promisify(execFile);

/** How long production is measured in each phase, and how often. */
export interface TwinImpactOptions {
  readonly seconds: number;
  readonly runs: number;
  readonly concurrency: number;
}

export const DEFAULT_TWIN_IMPACT: TwinImpactOptions = { seconds: 10, runs: 3, concurrency: 8 };

/** Production's own throughput, measured from outside as a user's traffic would be: wrk at its forward. */
async function productionRps(url: string, options: TwinImpactOptions): Promise<number> {
  const { stdout } = await run('wrk', ['-t1', `-c${options.concurrency}`, `-d${options.seconds}s`, url]);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1];
  if (rate === undefined) throw new Error(`wrk printed no rate: ${stdout}`);
  return Number(rate);
}

function helper(verb: string, root: string, qmpDir: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  return helperVerb(verb, args, { root, qmpDir });
}

const format = (values: readonly number[]): string => `${median(values).toFixed(1)} req/s (${Math.min(...values).toFixed(1)} to ${Math.max(...values).toFixed(1)})`;

/**
 * Production's throughput (lab-web's civic-web, wrk through its forward) alone, beside an idle twin,
 * and while the twin serves a tuning experiment's load (the helper's `load` verb at the twin's forward,
 * closed loop, 16 connections, for as long as production is measured). Ratios are to production alone.
 */
export async function benchTwinImpact(options: TwinImpactOptions = DEFAULT_TWIN_IMPACT): Promise<BenchSection> {
  const load = loadavg()[0] ?? 0;
  const machine = machineFacts();
  const lab = await labAcquire({ vms: 'lab-web', owner: 'tests' });
  const root = await mkdtemp(join(tmpdir(), 'civic-bench-twin-'));
  const web = labVm(lab, 'lab-web');
  const qmpDir = dirname(web.qmpSocketPath ?? '/');
  const url = `http://127.0.0.1:${forwardedPort(web, 8080)}/`;
  let cloneId: string | null = null;
  try {
    const alone: number[] = [];
    const idle: number[] = [];
    const during: number[] = [];
    for (let index = 0; index < options.runs; index += 1) alone.push(await productionRps(url, options));
    const twin = await helper('clone', root, qmpDir, { vm: `qmp:${web.qmpSocketPath ?? ''}`, leaseSeconds: 900, hostForwards: [{ hostPort: 0, guestPort: 8080 }] });
    cloneId = String(twin['cloneId']);
    const twinPort = (twin['forwards'] as { hostPort: number }[])[0]?.hostPort ?? 0;
    for (let index = 0; index < options.runs; index += 1) idle.push(await productionRps(url, options));
    let twinRate = 0;
    for (let index = 0; index < options.runs; index += 1) {
      const [rate, report] = await Promise.all([
        productionRps(url, options),
        helper('load', root, qmpDir, { cloneId, targets: [`http://127.0.0.1:${twinPort}/`], mode: 'closed', concurrency: 16, warmupSeconds: 0, durationSeconds: options.seconds + 1 }),
      ]);
      during.push(rate);
      twinRate = Math.max(twinRate, Number((report['report'] as { achievedRate: number }).achievedRate));
    }
    const base = median(alone);
    const rows: BenchRow[] = [
      { name: 'production alone (wrk at its forward)', value: format(alone), note: `wrk -t1 -c${options.concurrency} -d${options.seconds}s, ${options.runs} runs` },
      { name: 'production beside an idle twin', value: format(idle), baseline: format(alone), note: `ratio ${(median(idle) / base).toFixed(2)}` },
      { name: 'production while the twin serves a tuning load', value: format(during), baseline: format(alone), note: `ratio ${(median(during) / base).toFixed(2)}; the twin served up to ${twinRate.toFixed(1)} req/s (clone at nice 10, best-effort I/O 7)` },
    ];
    return {
      title: 'Production beside its twin (lab-web, civic-web on :8080)',
      description: `Production's own throughput measured from outside (Debian's wrk through lab-web's forward), first alone, then beside an idle twin of it, then while the helper's load verb drives the twin as a tuning experiment does; median (min to max) of ${options.runs} runs of ${options.seconds} s. The clock is wrk's. Source and twin are TCG guests on the same cores. civic-web runs its shipped 2 workers with 20 ms of backend wait per request, so production is latency-bound here, not CPU-bound. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; load average ${load.toFixed(1)} when it started.`,
      rows,
    };
  } finally {
    if (cloneId !== null) await helper('destroy', root, qmpDir, { cloneId }).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    await labRelease({ keep: process.env['CIVIC_LAB_KEEP'] === '1' });
  }
}
