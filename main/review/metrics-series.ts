/** One series of a metrics chart: the unit is part of the name ("CPU busy (%)"). */
export interface MetricSeries {
  readonly name: string;
  readonly points: readonly { readonly at: string; readonly value: number }[];
}

/** Most samples read from one metrics artifact. */
export const MAX_METRIC_SAMPLES = 20_000;

type Numbers = Readonly<Record<string, unknown>>;

interface Sample {
  readonly time: number;
  readonly cpu?: Numbers;
  readonly memory?: Numbers;
  readonly net?: Readonly<Record<string, Numbers>>;
  readonly disk?: Readonly<Record<string, Numbers>>;
}

const number = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (samples.length >= MAX_METRIC_SAMPLES) break;
    if (line.trim() === '' || line.length > 1_000_000) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const record = value as Record<string, unknown>;
    if (typeof record['time'] !== 'number' || !Number.isFinite(record['time'])) continue;
    samples.push(record as unknown as Sample);
  }
  return samples.sort((left, right) => left.time - right.time);
}

function sumOver(table: Readonly<Record<string, Numbers>> | undefined, field: string, skip: (name: string) => boolean): number {
  let total = 0;
  for (const [name, values] of Object.entries(table ?? {})) if (!skip(name)) total += number(values[field]);
  return total;
}

// Disk names that are partitions or virtual devices: counting them with their disk would count twice.
const notWholeDisk = (name: string): boolean => /^(loop|ram|dm-)|[a-z]\d+$|p\d+$/.test(name);

/**
 * Series from the `metrics` artifact (JSON lines of /proc counters, one object per sample): CPU busy,
 * memory used, network and disk throughput. Counters become rates between neighbouring samples;
 * lines that are not such objects are skipped, so a hostile guest gets odd numbers at worst.
 */
export function metricsSeries(text: string): MetricSeries[] {
  const samples = parseSamples(text);
  const cpu: { at: string; value: number }[] = [];
  const memory: { at: string; value: number }[] = [];
  const received: { at: string; value: number }[] = [];
  const sent: { at: string; value: number }[] = [];
  const diskRead: { at: string; value: number }[] = [];
  const diskWritten: { at: string; value: number }[] = [];
  for (let index = 0; index < samples.length; index += 1) {
    const sample = samples[index] as Sample;
    const at = new Date(sample.time * 1000).toISOString();
    const total = sample.memory ? number(sample.memory['MemTotal']) : 0;
    if (total > 0) memory.push({ at, value: Math.round((total - number(sample.memory?.['MemAvailable'])) / 1024 / 1024) });
    const previous = samples[index - 1];
    if (!previous) continue;
    const seconds = sample.time - previous.time;
    if (seconds <= 0) continue;
    const cpuNow = (sample.cpu?.['cpu'] ?? {}) as Numbers;
    const cpuBefore = (previous.cpu?.['cpu'] ?? {}) as Numbers;
    const fields = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'];
    const busyFields = ['user', 'nice', 'system', 'irq', 'softirq', 'steal'];
    const delta = (names: string[]): number => names.reduce((sum, name) => sum + number(cpuNow[name]) - number(cpuBefore[name]), 0);
    const all = delta(fields);
    if (all > 0) cpu.push({ at, value: Math.max(0, Math.min(100, Math.round((delta(busyFields) / all) * 1000) / 10)) });
    const rate = (now: number, before: number, scale: number): number => Math.max(0, Math.round(((now - before) * scale) / seconds / 1024));
    const loopback = (name: string): boolean => name === 'lo';
    received.push({ at, value: rate(sumOver(sample.net, 'rxBytes', loopback), sumOver(previous.net, 'rxBytes', loopback), 1) });
    sent.push({ at, value: rate(sumOver(sample.net, 'txBytes', loopback), sumOver(previous.net, 'txBytes', loopback), 1) });
    diskRead.push({ at, value: rate(sumOver(sample.disk, 'sectorsRead', notWholeDisk), sumOver(previous.disk, 'sectorsRead', notWholeDisk), 512) });
    diskWritten.push({ at, value: rate(sumOver(sample.disk, 'sectorsWritten', notWholeDisk), sumOver(previous.disk, 'sectorsWritten', notWholeDisk), 512) });
  }
  const series: MetricSeries[] = [
    { name: 'CPU busy (%)', points: cpu },
    { name: 'Memory used (MiB)', points: memory },
    { name: 'Network received (KiB/s)', points: received },
    { name: 'Network sent (KiB/s)', points: sent },
    { name: 'Disk read (KiB/s)', points: diskRead },
    { name: 'Disk written (KiB/s)', points: diskWritten },
  ];
  return series.filter((entry) => entry.points.length > 0);
}
