import type { Series } from '../../preload/api';
import { parsePrometheusText, type PrometheusSample, type PrometheusScrape } from './prometheus-text';

/** One scrape and when it was taken. */
export interface TimedScrape {
  /** Epoch milliseconds of the scrape (the sampler's clock, not the samples' own timestamps). */
  readonly timeMs: number;
  readonly scrape: PrometheusScrape;
}

/** Series from an agent's output, and how much of it was not understood. */
export interface AgentSeries {
  readonly series: Series[];
  /** Lines skipped as malformed (sysstat) or reported by the parser (Prometheus). */
  readonly skippedLines: number;
}

/**
 * Chart series from node_exporter scrapes: CPU busy %, memory available, load, network bytes/s.
 *
 * Counters become rates between consecutive scrapes; a counter that went down was reset (the agent or
 * the guest restarted), and its increase is then its new value, as Prometheus's `rate()` counts it.
 * A series that appears in one scrape only adds nothing to that interval. Series without any point
 * (an exporter without that collector) are left out.
 */
export function seriesFromScrapes(scrapes: readonly TimedScrape[]): Series[] {
  const ordered = [...scrapes].filter((entry) => Number.isFinite(entry.timeMs)).sort((a, b) => a.timeMs - b.timeMs);
  const cpuBusy: [number, number][] = [];
  const received: [number, number][] = [];
  const sent: [number, number][] = [];
  for (let index = 1; index < ordered.length; index++) {
    const previous = ordered[index - 1] as TimedScrape;
    const current = ordered[index] as TimedScrape;
    const seconds = (current.timeMs - previous.timeMs) / 1000;
    if (seconds <= 0) continue;
    const busy = cpuBusyPercent(previous.scrape, current.scrape);
    if (busy !== null) cpuBusy.push([current.timeMs, busy]);
    const isPhysical = (sample: PrometheusSample): boolean => sample.labels.device !== 'lo';
    const receivedBytes = counterIncrease(previous.scrape, current.scrape, 'node_network_receive_bytes_total', isPhysical);
    if (receivedBytes !== null) received.push([current.timeMs, receivedBytes / seconds]);
    const sentBytes = counterIncrease(previous.scrape, current.scrape, 'node_network_transmit_bytes_total', isPhysical);
    if (sentBytes !== null) sent.push([current.timeMs, sentBytes / seconds]);
  }
  const candidates: Series[] = [
    { name: 'CPU busy', unit: '%', points: cpuBusy },
    { name: 'Memory available', unit: 'bytes', points: gaugePoints(ordered, 'node_memory_MemAvailable_bytes') },
    { name: 'Load (1 min)', unit: 'runnable tasks', points: gaugePoints(ordered, 'node_load1') },
    { name: 'Network received', unit: 'bytes/s', points: received },
    { name: 'Network sent', unit: 'bytes/s', points: sent },
  ];
  return candidates.filter((series) => series.points.length > 0);
}

/** Parses each scrape's text, then `seriesFromScrapes`; parser problems are counted, never thrown. */
export function seriesFromScrapeTexts(scrapes: readonly { readonly timeMs: number; readonly text: string }[]): AgentSeries {
  let skippedLines = 0;
  const parsed = scrapes.map(({ timeMs, text }) => {
    const scrape = parsePrometheusText(text);
    skippedLines += scrape.problemCount;
    return { timeMs, scrape };
  });
  return { series: seriesFromScrapes(parsed), skippedLines };
}

/**
 * CPU busy % between two scrapes, over all CPUs: the time in every mode but `idle` over the time in
 * all modes. iowait counts as busy here (the CPU had nothing else to run, but the workload waited).
 */
function cpuBusyPercent(previous: PrometheusScrape, current: PrometheusScrape): number | null {
  const total = counterIncrease(previous, current, 'node_cpu_seconds_total', () => true);
  const idle = counterIncrease(previous, current, 'node_cpu_seconds_total', (sample) => sample.labels.mode === 'idle');
  if (total === null || idle === null || total <= 0) return null;
  return Math.min(100, Math.max(0, (100 * (total - idle)) / total));
}

/** The summed increase of the counter `name` over the series `include` keeps, or null when none is in both. */
function counterIncrease(previous: PrometheusScrape, current: PrometheusScrape, name: string, include: (sample: PrometheusSample) => boolean): number | null {
  const before = new Map<string, number>();
  for (const sample of previous.samples) {
    if (sample.name === name && include(sample) && Number.isFinite(sample.value)) before.set(labelKey(sample), sample.value);
  }
  let increase = 0;
  let paired = 0;
  for (const sample of current.samples) {
    if (sample.name !== name || !include(sample) || !Number.isFinite(sample.value)) continue;
    const earlier = before.get(labelKey(sample));
    if (earlier === undefined) continue;
    paired++;
    increase += sample.value >= earlier ? sample.value - earlier : sample.value;
  }
  return paired === 0 ? null : increase;
}

function gaugePoints(scrapes: readonly TimedScrape[], name: string): [number, number][] {
  const points: [number, number][] = [];
  for (const { timeMs, scrape } of scrapes) {
    const sample = scrape.samples.find((candidate) => candidate.name === name && Object.keys(candidate.labels).length === 0);
    if (sample !== undefined && Number.isFinite(sample.value)) points.push([timeMs, sample.value]);
  }
  return points;
}

function labelKey(sample: PrometheusSample): string {
  return Object.keys(sample.labels)
    .sort()
    .map((label) => `${label}=${JSON.stringify(sample.labels[label])}`)
    .join(',');
}

// ---------------------------------------------------------------------------------------------
// sysstat: `sadf -d FILE -- -u -r -q`
// ---------------------------------------------------------------------------------------------

/** sar columns charted, by the name sadf gives them in its `# hostname;interval;timestamp;...` headers. */
const SADF_COLUMNS: ReadonlyMap<string, { readonly name: string; readonly unit: string }> = new Map([
  ['%user', { name: 'CPU %user', unit: '%' }],
  // `-u ALL` spells it %usr.
  ['%usr', { name: 'CPU %user', unit: '%' }],
  ['%system', { name: 'CPU %system', unit: '%' }],
  ['%iowait', { name: 'CPU %iowait', unit: '%' }],
  ['%idle', { name: 'CPU %idle', unit: '%' }],
  ['kbmemused', { name: 'Memory used', unit: 'KiB' }],
  ['%memused', { name: 'Memory %memused', unit: '%' }],
  ['ldavg-1', { name: 'Load ldavg-1', unit: 'runnable tasks' }],
]);

const SADF_MAX_LINES = 200_000;
const SADF_MAX_LINE_LENGTH = 4096;
/** sadf -d prints UTC unless told otherwise (-t); the suffix is there in sysstat 12. */
const SADF_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?: UTC)?$/;
const SADF_NUMBER = /^-?\d+(?:[.,]\d+)?$/;

/**
 * Chart series from `sadf -d FILE -- -u -r -q`: %user, %system, %iowait, %idle, memory used, %memused
 * and ldavg-1.
 *
 * Each `# hostname;interval;timestamp;...` header names the columns of the rows after it. Only the
 * all-CPU rows of `-u` count (CPU -1 or `all`); per-CPU rows (`-P`) and LINUX-RESTART marks are passed
 * over. A row that does not fit its header, has a bad time or number, or comes before any header, is
 * skipped and counted; input beyond the line limits is not read.
 */
export function seriesFromSadf(text: string): AgentSeries {
  const points = new Map<string, { unit: string; points: [number, number][] }>();
  let columns: readonly string[] | null = null;
  let skippedLines = 0;
  const lines = text.split('\n', SADF_MAX_LINES + 1);
  if (lines.length > SADF_MAX_LINES) skippedLines++;
  for (const raw of lines.slice(0, SADF_MAX_LINES)) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    if (line.length > SADF_MAX_LINE_LENGTH) {
      skippedLines++;
      continue;
    }
    if (line.startsWith('#')) {
      const header = line.slice(1).trim().split(';');
      columns = header[0] === 'hostname' && header[2] === 'timestamp' ? header : null;
      if (columns === null) skippedLines++;
      continue;
    }
    if (line.includes('LINUX-RESTART')) continue;
    const fields = line.split(';');
    if (columns === null || fields.length !== columns.length) {
      skippedLines++;
      continue;
    }
    const timeMs = sadfTime(fields[2] as string);
    const cpuColumn = columns.indexOf('CPU');
    if (cpuColumn >= 0 && !['-1', 'all'].includes(fields[cpuColumn] as string)) continue;
    const row: [string, string, number][] = [];
    let bad = timeMs === null;
    columns.forEach((column, index) => {
      const wanted = SADF_COLUMNS.get(column);
      if (wanted === undefined || bad) return;
      const field = fields[index] as string;
      if (!SADF_NUMBER.test(field)) bad = true;
      else row.push([wanted.name, wanted.unit, Number(field.replace(',', '.'))]);
    });
    if (bad || timeMs === null) {
      skippedLines++;
      continue;
    }
    for (const [name, unit, value] of row) {
      const series = points.get(name) ?? { unit, points: [] };
      series.points.push([timeMs, value]);
      points.set(name, series);
    }
  }
  const order = [...new Set([...SADF_COLUMNS.values()].map((column) => column.name))];
  const series = order.flatMap((name) => {
    const found = points.get(name);
    return found === undefined ? [] : [{ name, unit: found.unit, points: found.points.sort((a, b) => a[0] - b[0]) }];
  });
  return { series, skippedLines };
}

function sadfTime(field: string): number | null {
  const match = SADF_TIME.exec(field);
  if (match === null) return null;
  const [, year, month, day, hour, minute, second] = match.map(Number) as [number, number, number, number, number, number, number];
  const timeMs = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 2026-13-40 over into a later date; refuse it instead.
  const check = new Date(timeMs);
  return check.getUTCMonth() === month - 1 && check.getUTCDate() === day && hour < 24 && minute < 60 && second < 61 ? timeMs : null;
}
