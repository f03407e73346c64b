import { describe, expect, it } from 'vitest';
import { metricsSeries } from '../../../../main/review/metrics-series';

// Samples as the helper's metrics step writes them: JSON lines of /proc counters.
function sample(time: number, busy: number, idle: number, rx: number, sectors: number, available: number): string {
  return JSON.stringify({
    time,
    uptimeSeconds: time - 1000,
    cpu: { cpu: { user: busy, system: 0, idle }, cpu0: { user: busy, idle } },
    memory: { MemTotal: 4 * 1024 ** 3, MemAvailable: available },
    net: { lo: { rxBytes: 10 ** 9, txBytes: 10 ** 9 }, eth0: { rxBytes: rx, txBytes: 0 } },
    disk: { vda: { sectorsRead: sectors, sectorsWritten: 0 }, vda1: { sectorsRead: sectors, sectorsWritten: 0 } },
  });
}

describe('metricsSeries', () => {
  it('turns counters into rates between samples, skipping loopback and partitions', () => {
    const text = [sample(1_700_000_000, 100, 900, 0, 0, 3 * 1024 ** 3), sample(1_700_000_010, 400, 1600, 102_400, 20, 2 * 1024 ** 3)].join('\n');
    const series = new Map(metricsSeries(text).map((entry) => [entry.name, entry.points]));
    expect(series.get('CPU busy (%)')).toEqual([{ at: '2023-11-14T22:13:30.000Z', value: 30 }]);
    expect(series.get('Memory used (MiB)')?.map((point) => point.value)).toEqual([1024, 2048]);
    expect(series.get('Network received (KiB/s)')?.[0]?.value).toBe(10);
    expect(series.get('Disk read (KiB/s)')?.[0]?.value).toBe(1);
  });

  it('skips lines that are not samples, so hostile output gives odd numbers at worst', () => {
    const text = ['not json', '[]', '{"time":"soon"}', 'null', sample(1, 1, 1, 1, 1, 1), '{"time":2,"cpu":{"cpu":{"user":"x"}}}'].join('\n');
    const series = metricsSeries(text);
    expect(series.find((entry) => entry.name === 'Memory used (MiB)')?.points).toHaveLength(1);
    for (const entry of series) for (const point of entry.points) expect(Number.isFinite(point.value)).toBe(true);
  });

  it('returns nothing for an empty artifact', () => {
    expect(metricsSeries('')).toEqual([]);
  });
});
