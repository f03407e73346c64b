import { WorkbenchFailure } from '../errors';
import { seededShuffle } from './seeded-random';

/** One measurement in the run order: which candidate value, in which round. */
export interface ScheduledRun {
  /** Index into the request's candidate values. */
  readonly valueIndex: number;
  /** The round, 1-based: round r measures every value once. */
  readonly repetition: number;
}

/** The fewest rounds a tuning run may have: fewer cannot give any interval worth showing. */
export const MIN_REPETITIONS = 5;
const MAX_REPETITIONS = 100;
const MAX_VALUES = 64;

/**
 * The run order for `valueCount` candidate values over `repetitions` rounds.
 *
 * Each round visits every value once. The orders come from a balanced Latin square (Williams design):
 * across `valueCount` rounds every value takes every position once, and each value follows each other
 * value equally often (for an odd count the mirrored square is added, over twice as many rounds), so
 * a slow drift of the twin (a warming cache, a filling disk, a neighbour's load) and carry-over from
 * the value measured just before cannot favour one value. Which value plays which symbol of the
 * square is a shuffle seeded by `seed`, so the order is deterministic for a seed, which the bundle
 * records, yet no value is first by construction.
 */
export function tuningSchedule(valueCount: number, repetitions: number, seed: number): readonly ScheduledRun[] {
  if (!Number.isInteger(valueCount) || valueCount < 1 || valueCount > MAX_VALUES) {
    throw new WorkbenchFailure('VALIDATION_FAILED', `A tuning run needs 1..${MAX_VALUES} candidate values, not ${valueCount}.`);
  }
  if (!Number.isInteger(repetitions) || repetitions < MIN_REPETITIONS || repetitions > MAX_REPETITIONS) {
    throw new WorkbenchFailure(
      'VALIDATION_FAILED',
      `A tuning run needs ${MIN_REPETITIONS}..${MAX_REPETITIONS} repetitions, not ${repetitions}.`,
    );
  }
  if (!Number.isInteger(seed)) throw new WorkbenchFailure('VALIDATION_FAILED', `The schedule's seed must be an integer, not ${seed}.`);
  const symbolToValue = seededShuffle(
    Array.from({ length: valueCount }, (_, index) => index),
    seed,
  );
  const rows = williamsRows(valueCount);
  const runs: ScheduledRun[] = [];
  for (let round = 0; round < repetitions; round++) {
    const row = rows[round % rows.length] as readonly number[];
    for (const symbol of row) runs.push({ valueIndex: symbolToValue[symbol] as number, repetition: round + 1 });
  }
  return runs;
}

/**
 * The rows of a Williams design for `count` symbols.
 *
 * Row 0 is 0, 1, n-1, 2, n-2, ...; row i adds i to each symbol (mod n). For an odd n those n rows
 * balance positions but not successions, so their mirrors follow them. The first n rows always form a
 * Latin square, so any n consecutive rounds from the start balance positions.
 */
function williamsRows(count: number): readonly (readonly number[])[] {
  const first: number[] = [];
  for (let step = 0, low = 0, high = count - 1; step < count; step++) {
    if (step === 0) first.push(low++);
    else if (step % 2 === 1) first.push(low++);
    else first.push(high--);
  }
  const rows = Array.from({ length: count }, (_, shift) => first.map((symbol) => (symbol + shift) % count));
  return count % 2 === 0 ? rows : [...rows, ...rows.map((row) => [...row].reverse())];
}
