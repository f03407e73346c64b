import type { Estimate, ExperimentReport, TuningRow } from '../../preload/api';
import { WorkbenchFailure } from '../errors';

/** What the load driver measured for one value in one round. */
export interface RepetitionMeasurement {
  /** The round, 1-based, as `tuningSchedule` numbers it. */
  readonly repetition: number;
  readonly throughputRps: number;
  /** null when the round completed no request to take a percentile of. */
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly errors: number;
  readonly requests: number;
}

/**
 * A median with a distribution-free confidence interval, and the coverage the interval really has.
 *
 * With 5..20 samples an interval from order statistics cannot hit 95 % exactly; `coverage` says what
 * it reaches (0.9375 for 5 samples), so a reader is never told "95 %" when it is less.
 */
export interface MedianInterval extends Estimate {
  readonly coverage: number;
  readonly sampleCount: number;
}

/** One value's row for the report, with the interval details the recommendation needs. */
export interface ValueResult {
  readonly row: TuningRow;
  readonly throughputInterval: MedianInterval | null;
}

/** The report's recommendation. */
export type Recommendation = NonNullable<Extract<ExperimentReport, { readonly kind: 'tuning' }>['recommended']>;

/** The outcome of the paired comparison of two values over the rounds both ran. */
export interface PairedComparison {
  /** Rounds measured for both values. */
  readonly rounds: number;
  /** Rounds in which the first value served more, and fewer. */
  readonly wins: number;
  readonly losses: number;
  /** Two-sided exact Wilcoxon signed-rank p-value; 1 when no round differed. */
  readonly pValue: number;
}

/** The error share above which a value is failed, unless the request says otherwise. */
export const DEFAULT_MAX_ERROR_RATIO = 0.05;

/** Below this two-sided p-value a winner whose interval overlaps the runner-up's is "likely". */
export const LIKELY_P_VALUE = 0.1;

const TARGET_COVERAGE = 0.95;

/**
 * The median of `samples` and a confidence interval for it from order statistics.
 *
 * Why this method: tuning runs have 5..20 rounds, too few to trust a normal approximation or a
 * bootstrap (which for 5 samples can only return values seen and understates the spread), and load
 * figures are skewed by a slow round now and then. The interval [x(k), x(n+1-k)] of the sorted
 * samples covers the true median with probability 1 - 2·P(Binomial(n, ½) < k) whatever the
 * distribution, given independent rounds. We take the narrowest such interval that reaches 95 %. With
 * 5 samples or fewer even min..max falls short (93.75 % at 5): then min..max is returned with the
 * coverage it has, and the reason sentence states that coverage instead of 95 %.
 */
export function medianInterval(samples: readonly number[]): MedianInterval | null {
  const sorted = samples.filter((sample) => Number.isFinite(sample)).sort((a, b) => a - b);
  const count = sorted.length;
  if (count === 0) return null;
  let rank = 1;
  // P(Binomial(n, ½) ≤ k - 1): grows with k, so walk up while the next interval still reaches 95 %.
  let tailBelow = binomialHalfCumulative(count, 0);
  while (rank + 1 <= Math.floor((count + 1) / 2)) {
    const nextTail = binomialHalfCumulative(count, rank);
    if (1 - 2 * nextTail < TARGET_COVERAGE) break;
    rank++;
    tailBelow = nextTail;
  }
  return {
    median: medianOfSorted(sorted),
    low: sorted[rank - 1] as number,
    high: sorted[count - rank] as number,
    coverage: Math.max(0, 1 - 2 * tailBelow),
    sampleCount: count,
  };
}

/**
 * One value's row: estimates over its rounds and whether it failed.
 *
 * A value fails when the runner says why (`failure`: the reload refused the file, the service did not
 * answer), when it served no request, or when its errors over all rounds exceed `maxErrorRatio` of its
 * requests. Estimates are still computed for a failed value that ran, so the report shows what it did.
 */
export function summarizeValue(
  value: string,
  runs: readonly RepetitionMeasurement[],
  options: { readonly maxErrorRatio?: number; readonly failure?: string } = {},
): ValueResult {
  const maxErrorRatio = options.maxErrorRatio ?? DEFAULT_MAX_ERROR_RATIO;
  if (!(maxErrorRatio >= 0 && maxErrorRatio <= 1)) {
    throw new WorkbenchFailure('VALIDATION_FAILED', `The error limit must be between 0 and 1, not ${maxErrorRatio}.`);
  }
  const ordered = [...runs].sort((a, b) => a.repetition - b.repetition);
  const errors = sum(ordered.map((run) => run.errors));
  const requests = sum(ordered.map((run) => run.requests));
  const failure = options.failure ?? failureOf(errors, requests, ordered.length, maxErrorRatio);
  const throughputInterval = medianInterval(ordered.map((run) => run.throughputRps));
  const row: TuningRow = {
    value,
    status: failure === undefined ? 'ok' : 'failed',
    throughput: estimateOf(throughputInterval),
    p95Ms: estimateOf(medianInterval(present(ordered.map((run) => run.p95Ms)))),
    p99Ms: estimateOf(medianInterval(present(ordered.map((run) => run.p99Ms)))),
    errors,
    requests,
    runs: ordered.map((run) => ({ repetition: run.repetition, throughput: run.throughputRps, p95Ms: run.p95Ms, errors: run.errors })),
    ...(failure === undefined ? {} : { failure }),
  };
  return { row, throughputInterval };
}

/**
 * The best value that did not fail, how sure we are, and why, in one sentence with the numbers.
 *
 * Best means the highest median throughput, ties broken by the lower median p95, then by the order of
 * `results`. Against the runner-up: `clear` when the throughput intervals do not overlap; `likely`
 * when they do, but the rounds agree: a paired comparison per round (rounds are interleaved, so both
 * values met the same drift in each) by the exact two-sided Wilcoxon signed-rank test has p below
 * 0.1 and the winner served more in more rounds than not; otherwise `unclear`. With 5 rounds "likely"
 * therefore needs the winner ahead in all 5 (p = 0.0625). null when every value failed.
 */
export function recommendValue(parameter: string, results: readonly ValueResult[]): Recommendation | null {
  const candidates = results
    .map((result, order) => ({ result, order }))
    .filter(({ result }) => result.row.status === 'ok' && result.throughputInterval !== null)
    .sort((a, b) => compareForBest(a.result, b.result) || a.order - b.order)
    .map(({ result }) => result);
  const best = candidates[0];
  if (best === undefined) return null;
  const bestInterval = best.throughputInterval as MedianInterval;
  const lead = `${parameter} = ${best.row.value} served ${formatRate(bestInterval.median)} req/s (${intervalText(bestInterval)})`;
  const runnerUp = candidates[1];
  if (runnerUp === undefined) {
    const othersFailed = results.length > 1;
    return {
      value: best.row.value,
      confidence: othersFailed ? 'clear' : 'unclear',
      reason: othersFailed ? `${lead}; it is the only value that did not fail.` : `${lead}; it is the only value measured, so nothing was compared.`,
    };
  }
  const runnerInterval = runnerUp.throughputInterval as MedianInterval;
  const other = `${parameter} = ${runnerUp.row.value}`;
  const comparison = compareRounds(best.row, runnerUp.row);
  const roundsText = `it served more in ${comparison.wins} of ${comparison.rounds} rounds (Wilcoxon signed-rank p = ${formatP(comparison.pValue)})`;
  if (bestInterval.median === runnerInterval.median) {
    const p95 = (result: ValueResult): string => (result.row.p95Ms === null ? 'none' : `${formatRate(result.row.p95Ms.median)} ms`);
    return {
      value: best.row.value,
      confidence: 'unclear',
      reason: `${lead}, the same median as ${other}; chosen for its lower p95 latency (${p95(best)} against ${p95(runnerUp)}), but the difference may be noise.`,
    };
  }
  const against = `${gainText(bestInterval.median, runnerInterval.median)} ${formatRate(runnerInterval.median)} req/s of ${other} (${intervalText(runnerInterval)})`;
  if (bestInterval.low > runnerInterval.high) {
    return { value: best.row.value, confidence: 'clear', reason: `${lead}, ${against}; the intervals do not overlap.` };
  }
  if (comparison.pValue < LIKELY_P_VALUE && comparison.wins > comparison.losses) {
    return { value: best.row.value, confidence: 'likely', reason: `${lead}, ${against}; the intervals overlap, but ${roundsText}.` };
  }
  return {
    value: best.row.value,
    confidence: 'unclear',
    reason: `${lead}, ${against}; the intervals overlap and ${roundsText}, so the difference may be noise.`,
  };
}

/**
 * Compares two values round by round on throughput (first minus second), over the rounds both ran.
 */
export function compareRounds(first: Pick<TuningRow, 'runs'>, second: Pick<TuningRow, 'runs'>): PairedComparison {
  const secondByRound = new Map(second.runs.map((run) => [run.repetition, run.throughput]));
  const differences: number[] = [];
  for (const run of first.runs) {
    const other = secondByRound.get(run.repetition);
    if (other !== undefined && Number.isFinite(run.throughput) && Number.isFinite(other)) differences.push(run.throughput - other);
  }
  return {
    rounds: differences.length,
    wins: differences.filter((difference) => difference > 0).length,
    losses: differences.filter((difference) => difference < 0).length,
    pValue: wilcoxonSignedRankP(differences),
  };
}

/**
 * The two-sided exact p-value of the Wilcoxon signed-rank test for paired differences.
 *
 * Zero differences are dropped and tied magnitudes share their mean rank (the usual convention); the
 * null distribution is counted exactly over all 2^n sign patterns with those ranks, so it stays exact
 * with ties. Ranks are doubled to keep them integers.
 */
export function wilcoxonSignedRankP(differences: readonly number[]): number {
  const nonZero = differences.filter((difference) => difference !== 0 && Number.isFinite(difference));
  const count = nonZero.length;
  if (count === 0) return 1;
  const byMagnitude = nonZero.map((difference) => ({ magnitude: Math.abs(difference), positive: difference > 0 })).sort((a, b) => a.magnitude - b.magnitude);
  const doubledRanks: number[] = [];
  for (let start = 0; start < count; ) {
    let end = start;
    while (end + 1 < count && (byMagnitude[end + 1] as { magnitude: number }).magnitude === (byMagnitude[start] as { magnitude: number }).magnitude) end++;
    // Ranks start..end (1-based start+1..end+1) share their mean; doubled, that is start + end + 2.
    for (let index = start; index <= end; index++) doubledRanks.push(start + end + 2);
    start = end + 1;
  }
  const observed = sum(byMagnitude.map((entry, index) => (entry.positive ? (doubledRanks[index] as number) : 0)));
  const total = sum(doubledRanks);
  // ways[s]: sign patterns whose positive ranks add up to s.
  let ways: number[] = new Array<number>(total + 1).fill(0);
  ways[0] = 1;
  for (const rank of doubledRanks) {
    const next = [...ways];
    for (let reached = 0; reached + rank <= total; reached++) next[reached + rank] = (next[reached + rank] as number) + (ways[reached] as number);
    ways = next;
  }
  const patterns = 2 ** count;
  const atMost = sum(ways.slice(0, observed + 1)) / patterns;
  const atLeast = sum(ways.slice(observed)) / patterns;
  return Math.min(1, 2 * Math.min(atMost, atLeast));
}

function failureOf(errors: number, requests: number, rounds: number, maxErrorRatio: number): string | undefined {
  if (rounds === 0) return 'It was not measured.';
  if (requests <= 0) return 'It served no requests.';
  const ratio = errors / requests;
  if (ratio <= maxErrorRatio) return undefined;
  return `${formatPercent(ratio)} of its requests failed (${errors} of ${requests}), above the ${formatPercent(maxErrorRatio)} limit.`;
}

function compareForBest(a: ValueResult, b: ValueResult): number {
  const byThroughput = (b.throughputInterval as MedianInterval).median - (a.throughputInterval as MedianInterval).median;
  if (byThroughput !== 0) return byThroughput;
  const p95 = (result: ValueResult): number => result.row.p95Ms?.median ?? Number.POSITIVE_INFINITY;
  const byLatency = p95(a) - p95(b);
  return Number.isNaN(byLatency) ? 0 : byLatency;
}

/** P(Binomial(n, ½) ≤ k). */
function binomialHalfCumulative(count: number, atMost: number): number {
  let coefficient = 1;
  let total = 0;
  for (let successes = 0; successes <= atMost; successes++) {
    total += coefficient;
    coefficient = (coefficient * (count - successes)) / (successes + 1);
  }
  return total / 2 ** count;
}

function medianOfSorted(sorted: readonly number[]): number {
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function estimateOf(interval: MedianInterval | null): Estimate | null {
  return interval === null ? null : { median: interval.median, low: interval.low, high: interval.high };
}

function present(values: readonly (number | null)[]): number[] {
  return values.filter((value): value is number => value !== null);
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** "95 % CI 205–220" when the interval reaches 95 %, else the coverage it has ("93.8 % CI ..."). */
function intervalText(interval: MedianInterval): string {
  const level = interval.coverage >= TARGET_COVERAGE ? '95' : trimZeros((Math.floor(interval.coverage * 10000) / 100).toFixed(2));
  return `${level} % CI ${formatRate(interval.low)}–${formatRate(interval.high)}`;
}

function gainText(better: number, worse: number): string {
  if (worse <= 0) return 'against the';
  const ratio = better / worse;
  return ratio >= 1.5 ? `${ratio.toFixed(2)}× the` : `${formatPercent(ratio - 1)} more than the`;
}

/** Rates and latencies at a precision a reader can take in: 212, 19.5, 3.25. */
export function formatRate(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return String(Math.round(value));
  if (magnitude >= 10) return trimZeros(value.toFixed(1));
  return trimZeros(value.toFixed(2));
}

function formatPercent(ratio: number): string {
  const percent = ratio * 100;
  return `${percent >= 10 ? Math.round(percent) : trimZeros(percent.toFixed(1))} %`;
}

function formatP(pValue: number): string {
  return pValue < 0.001 ? '< 0.001' : trimZeros(pValue.toPrecision(2));
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
