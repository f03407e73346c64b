import { describe, expect, it } from 'vitest';
import { WorkbenchFailure } from '../../../../main/errors';
import { tuningSchedule, type ScheduledRun } from '../../../../main/twin/tuning-schedule';

function rounds(runs: readonly ScheduledRun[]): number[][] {
  const byRound = new Map<number, number[]>();
  for (const run of runs) byRound.set(run.repetition, [...(byRound.get(run.repetition) ?? []), run.valueIndex]);
  return [...byRound.entries()].sort(([a], [b]) => a - b).map(([, order]) => order);
}

describe('tuningSchedule', () => {
  it('visits every value once in each round, rounds numbered from 1 in run order', () => {
    for (const valueCount of [1, 2, 3, 4, 5, 8]) {
      for (const repetitions of [5, 7, 12]) {
        const runs = tuningSchedule(valueCount, repetitions, 42);
        expect(runs).toHaveLength(valueCount * repetitions);
        expect(runs.map((run) => run.repetition)).toEqual([...runs.map((run) => run.repetition)].sort((a, b) => a - b));
        const order = rounds(runs);
        expect(order).toHaveLength(repetitions);
        for (const round of order) expect([...round].sort((a, b) => a - b)).toEqual(Array.from({ length: valueCount }, (_, i) => i));
      }
    }
  });

  it('never puts the same value first in every round, whatever the seed', () => {
    for (const valueCount of [2, 3, 4, 8]) {
      for (let seed = 0; seed < 50; seed++) {
        const firsts = new Set(rounds(tuningSchedule(valueCount, 5, seed)).map((round) => round[0]));
        expect(firsts.size).toBeGreaterThan(1);
      }
    }
  });

  it('over the first V rounds puts every value in every position once (a Latin square)', () => {
    for (const valueCount of [2, 3, 4, 5, 6]) {
      const order = rounds(tuningSchedule(valueCount, Math.max(5, valueCount), 7)).slice(0, valueCount);
      for (let position = 0; position < valueCount; position++) {
        expect(new Set(order.map((round) => round[position])).size).toBe(valueCount);
      }
    }
  });

  it('for an even count lets each value follow every other value once over V rounds (Williams balance)', () => {
    const valueCount = 4;
    const order = rounds(tuningSchedule(valueCount, 8, 3)).slice(0, valueCount);
    const successions = new Map<string, number>();
    for (const round of order) {
      for (let i = 1; i < round.length; i++) {
        const pair = `${round[i - 1]}>${round[i]}`;
        successions.set(pair, (successions.get(pair) ?? 0) + 1);
      }
    }
    expect(successions.size).toBe(valueCount * (valueCount - 1));
    expect([...successions.values()].every((count) => count === 1)).toBe(true);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    expect(tuningSchedule(4, 6, 99)).toEqual(tuningSchedule(4, 6, 99));
    const orders = new Set(Array.from({ length: 10 }, (_, seed) => JSON.stringify(tuningSchedule(4, 6, seed))));
    expect(orders.size).toBeGreaterThan(1);
  });

  it('refuses fewer than 5 repetitions, no values, or a fractional seed', () => {
    expect(() => tuningSchedule(3, 4, 1)).toThrow(WorkbenchFailure);
    expect(() => tuningSchedule(0, 5, 1)).toThrow(/candidate values/);
    expect(() => tuningSchedule(2.5, 5, 1)).toThrow(/candidate values/);
    expect(() => tuningSchedule(3, 5, 0.5)).toThrow(/seed/);
    try {
      tuningSchedule(3, 2, 1);
    } catch (error) {
      expect((error as WorkbenchFailure).code).toBe('VALIDATION_FAILED');
    }
  });
});
