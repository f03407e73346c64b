import { describe, expect, it } from 'vitest';
import {
  compareRounds,
  medianInterval,
  recommendValue,
  summarizeValue,
  wilcoxonSignedRankP,
  type RepetitionMeasurement,
} from '../../../../main/twin/tuning-stats';

/** Rounds with the given throughputs, 1000 requests each, p95 from a fixed list. */
function runs(throughputs: readonly number[], options: { errors?: number; p95?: number } = {}): RepetitionMeasurement[] {
  return throughputs.map((throughputRps, index) => ({
    repetition: index + 1,
    throughputRps,
    p95Ms: options.p95 ?? 20 + index,
    p99Ms: 40 + index,
    errors: options.errors ?? 0,
    requests: 1000,
  }));
}

const range = (count: number): number[] => Array.from({ length: count }, (_, i) => i + 1);

describe('medianInterval', () => {
  it('gives min..max for 5 samples and says it covers 93.75 %, not 95 %', () => {
    expect(medianInterval([3, 1, 2, 5, 4])).toEqual({ median: 3, low: 1, high: 5, coverage: 0.9375, sampleCount: 5 });
  });

  it('keeps min..max up to 8 samples, whose coverage passes 95 % from 6 on', () => {
    expect(medianInterval(range(6))).toEqual({ median: 3.5, low: 1, high: 6, coverage: 1 - 2 / 64, sampleCount: 6 });
    expect(medianInterval(range(8))?.low).toBe(1);
  });

  it('narrows to the 2nd and (n-1)th order statistics at 9 and 10 samples', () => {
    // 1 - 2·P(B(9,½) ≤ 1) = 1 - 2·10/512; 1 - 2·P(B(10,½) ≤ 1) = 1 - 2·11/1024.
    expect(medianInterval(range(9))).toEqual({ median: 5, low: 2, high: 8, coverage: 1 - 20 / 512, sampleCount: 9 });
    expect(medianInterval(range(10))).toEqual({ median: 5.5, low: 2, high: 9, coverage: 1 - 22 / 1024, sampleCount: 10 });
  });

  it('takes the 6th and 15th of 20 samples (P(B(20,½) ≤ 5) = 21700/2^20)', () => {
    const interval = medianInterval(range(20).reverse());
    expect(interval).toMatchObject({ median: 10.5, low: 6, high: 15, sampleCount: 20 });
    expect(interval?.coverage).toBeCloseTo(1 - (2 * 21700) / 2 ** 20, 12);
  });

  it('returns null without finite samples and ignores NaN', () => {
    expect(medianInterval([])).toBeNull();
    expect(medianInterval([Number.NaN])).toBeNull();
    expect(medianInterval([4, Number.NaN, 2])).toMatchObject({ median: 3, low: 2, high: 4, coverage: 0.5 });
  });
});

describe('wilcoxonSignedRankP', () => {
  it('matches the exact two-sided values counted by hand', () => {
    expect(wilcoxonSignedRankP([1, 2, 3, 4, 5])).toBe(2 / 32);
    expect(wilcoxonSignedRankP([-1, -2, -3, -4, -5])).toBe(2 / 32);
    // W- = 1: sign patterns with W+ ≥ 14 are 2 of 32.
    expect(wilcoxonSignedRankP([-1, 2, 3, 4, 5])).toBe(4 / 32);
    expect(wilcoxonSignedRankP(range(10))).toBe(2 / 1024);
  });

  it('drops zero differences and shares ranks between tied magnitudes', () => {
    expect(wilcoxonSignedRankP([0, 1, 2, 3, 4, 5, 0])).toBe(2 / 32);
    // Magnitudes 2,3,3,6,10 → ranks 1, 2.5, 2.5, 4, 5; W- = 5; subsets of the ranks summing to ≤ 5: 10 of 32.
    expect(wilcoxonSignedRankP([6, -10, 3, 2, 3])).toBe((2 * 10) / 32);
  });

  it('is 1 when nothing differed', () => {
    expect(wilcoxonSignedRankP([])).toBe(1);
    expect(wilcoxonSignedRankP([0, 0, 0])).toBe(1);
  });
});

describe('summarizeValue', () => {
  it('builds the row: medians, intervals, totals, runs in round order', () => {
    const measured = runs([110, 112, 115, 108, 118]).reverse();
    const { row, throughputInterval } = summarizeValue('2', measured);
    expect(row.status).toBe('ok');
    expect(row.throughput).toEqual({ median: 112, low: 108, high: 118 });
    expect(row.p95Ms).toEqual({ median: 22, low: 20, high: 24 });
    expect(row.p99Ms).toEqual({ median: 42, low: 40, high: 44 });
    expect(row.requests).toBe(5000);
    expect(row.errors).toBe(0);
    expect(row.runs.map((run) => run.repetition)).toEqual([1, 2, 3, 4, 5]);
    expect(row.runs[0]).toEqual({ repetition: 1, throughput: 110, p95Ms: 20, errors: 0 });
    expect(throughputInterval?.coverage).toBe(0.9375);
    expect(row.failure).toBeUndefined();
  });

  it('fails a value above the error limit and keeps one exactly at it', () => {
    const failed = summarizeValue('1', runs([50, 50, 50, 50, 50], { errors: 60 })).row;
    expect(failed.status).toBe('failed');
    expect(failed.failure).toBe('6 % of its requests failed (300 of 5000), above the 5 % limit.');
    expect(failed.throughput).toEqual({ median: 50, low: 50, high: 50 });
    expect(summarizeValue('1', runs([50, 50, 50, 50, 50], { errors: 50 })).row.status).toBe('ok');
    expect(summarizeValue('1', runs([50, 50, 50, 50, 50], { errors: 50 }), { maxErrorRatio: 0.01 }).row.status).toBe('failed');
  });

  it('fails a value the runner reports, one that served nothing, and one not measured', () => {
    expect(summarizeValue('9', runs([1, 1, 1, 1, 1]), { failure: 'civic-web: workers: 99 is outside 1..64' }).row).toMatchObject({
      status: 'failed',
      failure: 'civic-web: workers: 99 is outside 1..64',
    });
    const silent = runs([0, 0, 0, 0, 0]).map((run) => ({ ...run, requests: 0, p95Ms: null, p99Ms: null }));
    expect(summarizeValue('3', silent).row).toMatchObject({ status: 'failed', failure: 'It served no requests.', p95Ms: null });
    expect(summarizeValue('4', []).row).toMatchObject({ status: 'failed', failure: 'It was not measured.', throughput: null });
  });

  it('refuses an error limit outside 0..1', () => {
    expect(() => summarizeValue('1', runs([1]), { maxErrorRatio: 1.5 })).toThrow(/between 0 and 1/);
  });
});

describe('recommendValue', () => {
  it('is clear when the intervals do not overlap, and says so with the numbers', () => {
    const results = [summarizeValue('2', runs([110, 112, 115, 108, 118])), summarizeValue('4', runs([205, 212, 220, 208, 215]))];
    expect(recommendValue('workers', results)).toEqual({
      value: '4',
      confidence: 'clear',
      reason:
        'workers = 4 served 212 req/s (93.75 % CI 205–220), 1.89× the 112 req/s of workers = 2 (93.75 % CI 108–118); the intervals do not overlap.',
    });
  });

  it('is likely when the intervals overlap but the winner led in every one of 5 rounds', () => {
    const results = [summarizeValue('8', runs([195, 200, 207, 196, 212])), summarizeValue('4', runs([200, 205, 210, 198, 215]))];
    expect(recommendValue('workers', results)).toEqual({
      value: '4',
      confidence: 'likely',
      reason:
        'workers = 4 served 205 req/s (93.75 % CI 198–215), 2.5 % more than the 200 req/s of workers = 8 (93.75 % CI 195–212); the intervals overlap, but it served more in 5 of 5 rounds (Wilcoxon signed-rank p = 0.063).',
    });
  });

  it('is unclear when the rounds disagree', () => {
    const results = [summarizeValue('4', runs([201, 190, 210, 198, 215])), summarizeValue('8', runs([195, 200, 207, 196, 212]))];
    expect(recommendValue('workers', results)).toEqual({
      value: '4',
      confidence: 'unclear',
      reason:
        'workers = 4 served 201 req/s (93.75 % CI 190–215), 0.5 % more than the 200 req/s of workers = 8 (93.75 % CI 195–212); the intervals overlap and it served more in 4 of 5 rounds (Wilcoxon signed-rank p = 0.63), so the difference may be noise.',
    });
  });

  it('says 95 % once enough rounds reach it', () => {
    const results = [summarizeValue('1', runs(range(10).map((i) => 100 + i))), summarizeValue('2', runs(range(10).map((i) => 200 + i)))];
    expect(recommendValue('workers', results)?.reason).toMatch(/^workers = 2 served 206 req\/s \(95 % CI 202–209\), 1\.95× the 106 req\/s/);
  });

  it('breaks a tie in median throughput by the lower p95 and calls it unclear', () => {
    const results = [summarizeValue('a', runs([100, 100, 100, 100, 100], { p95: 30 })), summarizeValue('b', runs([100, 100, 100, 100, 100], { p95: 12 }))];
    expect(recommendValue('mode', results)).toEqual({
      value: 'b',
      confidence: 'unclear',
      reason:
        'mode = b served 100 req/s (93.75 % CI 100–100), the same median as mode = a; chosen for its lower p95 latency (12 ms against 30 ms), but the difference may be noise.',
    });
  });

  it('never recommends a failed value, however fast', () => {
    const results = [summarizeValue('8', runs([900, 900, 900, 900, 900], { errors: 500 })), summarizeValue('2', runs([100, 101, 102, 103, 104]))];
    expect(recommendValue('workers', results)).toEqual({
      value: '2',
      confidence: 'clear',
      reason: 'workers = 2 served 102 req/s (93.75 % CI 100–104); it is the only value that did not fail.',
    });
  });

  it('is null when every value failed, and unclear for a lone value', () => {
    expect(recommendValue('workers', [summarizeValue('8', [])])).toBeNull();
    expect(recommendValue('workers', [summarizeValue('2', runs([1, 2, 3, 4, 5]))])?.confidence).toBe('unclear');
  });
});

describe('compareRounds', () => {
  it('pairs rounds by repetition and skips rounds only one value ran', () => {
    const first = { runs: [1, 2, 3, 4, 5].map((repetition) => ({ repetition, throughput: 10 + repetition, p95Ms: null, errors: 0 })) };
    const second = { runs: [2, 3, 4, 5, 6].map((repetition) => ({ repetition, throughput: 10, p95Ms: null, errors: 0 })) };
    expect(compareRounds(first, second)).toEqual({ rounds: 4, wins: 4, losses: 0, pValue: 2 / 16 });
  });
});
