import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seriesFromSadf, seriesFromScrapes, seriesFromScrapeTexts } from '../../../../main/twin/agent-series';
import { parsePrometheusText } from '../../../../main/twin/prometheus-text';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'twin');
/** Two real node_exporter 1.5.0 scrapes of a busy 2-CPU machine, taken 2.044 s apart. */
const SCRAPES = [1, 2].map((index) => readFileSync(join(FIXTURES, `node-exporter-scrape-${index}.prom`), 'utf8'));
/** Real `sadf -d /tmp/sa.test -- -u -r -q` of sysstat 12.6.1 after `sadc 1 5 /tmp/sa.test`. */
const SADF = readFileSync(join(FIXTURES, 'sadf-u-r-q.csv'), 'utf8');

const T0 = Date.UTC(2026, 11, 2, 18, 33, 50);

function byName(series: readonly { name: string }[]): Record<string, unknown> {
  return Object.fromEntries(series.map((entry) => [entry.name, entry]));
}

describe('seriesFromScrapes', () => {
  it('turns the real scrapes into CPU busy, memory, load and network series', () => {
    const { series, skippedLines } = seriesFromScrapeTexts([
      { timeMs: T0 + 2044, text: SCRAPES[1] as string },
      { timeMs: T0, text: SCRAPES[0] as string },
    ]);
    expect(skippedLines).toBe(0);
    // Between the scrapes user rose 1.98 s and system 0.06 s on each CPU, idle not at all.
    expect(byName(series)).toEqual({
      'CPU busy': { name: 'CPU busy', unit: '%', points: [[T0 + 2044, 100]] },
      'Memory available': { name: 'Memory available', unit: 'bytes', points: [[T0, 24243978240], [T0 + 2044, expect.any(Number)]] },
      'Load (1 min)': { name: 'Load (1 min)', unit: 'runnable tasks', points: [[T0, 5.52], [T0 + 2044, 5.48]] },
      'Network received': { name: 'Network received', unit: 'bytes/s', points: [[T0 + 2044, expect.any(Number)]] },
      'Network sent': { name: 'Network sent', unit: 'bytes/s', points: [[T0 + 2044, expect.any(Number)]] },
    });
  });

  it('computes rates by hand-checked numbers, skips lo and counts a reset counter from zero', () => {
    const scrape = (idle: number, user: number, eth0: number, lo: number): string =>
      [
        '# TYPE node_cpu_seconds_total counter',
        `node_cpu_seconds_total{cpu="0",mode="idle"} ${idle}`,
        `node_cpu_seconds_total{cpu="0",mode="user"} ${user}`,
        `node_network_receive_bytes_total{device="eth0"} ${eth0}`,
        `node_network_receive_bytes_total{device="lo"} ${lo}`,
      ].join('\n');
    const { series } = seriesFromScrapeTexts([
      { timeMs: 0, text: scrape(100, 100, 1000, 0) },
      { timeMs: 2000, text: scrape(150, 150, 3000, 1e6) },
      // The guest restarted: every counter starts again from zero.
      { timeMs: 3000, text: scrape(10, 30, 500, 5) },
      // Same instant again: no interval to divide by.
      { timeMs: 3000, text: scrape(11, 31, 600, 5) },
    ]);
    expect(byName(series)).toEqual({
      'CPU busy': { name: 'CPU busy', unit: '%', points: [[2000, 50], [3000, 75]] },
      'Network received': { name: 'Network received', unit: 'bytes/s', points: [[2000, 1000], [3000, 500]] },
    });
  });

  it('gives nothing for a single scrape’s rates and leaves out series no scrape has', () => {
    const series = seriesFromScrapes([{ timeMs: 5, scrape: parsePrometheusText('node_load1 0.5\n') }]);
    expect(series).toEqual([{ name: 'Load (1 min)', unit: 'runnable tasks', points: [[5, 0.5]] }]);
    expect(seriesFromScrapes([])).toEqual([]);
  });

  it('counts the lines hostile scrapes get wrong and still charts the rest', () => {
    const { series, skippedLines } = seriesFromScrapeTexts([
      { timeMs: 0, text: 'node_load1 1\n\u0000garbage\nnode_load1{ 2\n' },
      { timeMs: 1000, text: 'node_load1 NaN\n' },
    ]);
    expect(skippedLines).toBe(2);
    expect(series).toEqual([{ name: 'Load (1 min)', unit: 'runnable tasks', points: [[0, 1]] }]);
  });
});

describe('seriesFromSadf', () => {
  const at = (second: number): number => Date.UTC(2026, 11, 2, 18, 34, second);

  it('reads the real sadf -d output: CPU, memory and load columns at their UTC times', () => {
    const { series, skippedLines } = seriesFromSadf(SADF);
    expect(skippedLines).toBe(0);
    expect(series.map((entry) => entry.name)).toEqual(['CPU %user', 'CPU %system', 'CPU %iowait', 'CPU %idle', 'Memory used', 'Memory %memused', 'Load ldavg-1']);
    const named = byName(series);
    expect(named['CPU %user']).toEqual({ name: 'CPU %user', unit: '%', points: [[at(6), 97.51], [at(7), 94.95], [at(8), 85.93], [at(9), 95.05]] });
    expect(named['CPU %system']).toMatchObject({ points: [[at(6), 1.99], [at(7), 5.05], [at(8), 13.57], [at(9), 3.47]] });
    expect(named['Memory used']).toEqual({ name: 'Memory used', unit: 'KiB', points: [[at(6), 241732], [at(7), 266144], [at(8), 307952], [at(9), 320356]] });
    expect(named['Memory %memused']).toMatchObject({ unit: '%', points: [[at(6), 0.98], [at(7), 1.08], [at(8), 1.25], [at(9), 1.3]] });
    expect(named['Load ldavg-1']).toMatchObject({ points: [[at(6), 5], [at(7), 5], [at(8), 5], [at(9), 5]] });
  });

  it('passes over per-CPU rows and restart marks, and counts malformed lines without failing', () => {
    const text = [
      'vm;1;2026-12-02 18:34:05 UTC;-1;1;0;1;0;0;98',
      '# hostname;interval;timestamp;CPU;%user;%nice;%system;%iowait;%steal;%idle',
      'vm;-1;2026-12-02 18:34:05 UTC;LINUX-RESTART\t(2 CPU)',
      'vm;1;2026-12-02 18:34:06 UTC;-1;10.00;0.00;5.00;1.00;0.00;84.00',
      'vm;1;2026-12-02 18:34:06 UTC;0;20.00;0.00;5.00;1.00;0.00;74.00',
      'vm;1;2026-12-02 18:34:07 UTC;-1;ten;0.00;5.00;1.00;0.00;84.00',
      'vm;1;2026-13-40 18:34:07 UTC;-1;10.00;0.00;5.00;1.00;0.00;84.00',
      'vm;1;2026-12-02 18:34:07 UTC;-1;10.00;0.00',
      '# something else entirely',
      'vm;1;2026-12-02 18:34:08 UTC;-1;10.00;0.00;5.00;1.00;0.00;84.00',
      `vm;1;2026-12-02 18:34:09 UTC;-1;${'9'.repeat(5000)};0;0;0;0;0`,
      '# hostname;interval;timestamp;CPU;%usr;%nice;%sys;%iowait;%steal;%irq;%soft;%guest;%gnice;%idle',
      'vm;1;2026-12-02 18:34:10 UTC;all;12,50;0;0;0;0;0;0;0;0;87,50\r',
    ].join('\n');
    const { series, skippedLines } = seriesFromSadf(text);
    // Before any header, "ten", month 13, too few fields, the unknown header, the row after it, the long line.
    expect(skippedLines).toBe(7);
    expect(byName(series)['CPU %user']).toMatchObject({ points: [[at(6), 10], [at(10), 12.5]] });
    expect(byName(series)['CPU %idle']).toMatchObject({ points: [[at(6), 84], [at(10), 87.5]] });
  });

  it('gives no series for empty or binary input', () => {
    expect(seriesFromSadf('')).toEqual({ series: [], skippedLines: 0 });
    expect(seriesFromSadf('\u0000\u0001\u0002;;;\n\u00ff').skippedLines).toBe(2);
  });
});
