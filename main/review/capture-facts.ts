import type { CaptureFacts, ProcessRow, SocketRecord, TimelineBucket } from '../../preload/api';
import type { MetricSeries } from './metrics-series';
import { isListeningSocket } from './process-index';

/** Bars of the process start histogram. */
export const TIMELINE_BUCKETS = 48;

/** Process starts bucketed over the span from the first start to the end of the capture. */
export function processStartBuckets(processes: readonly ProcessRow[], captureEnd: string, buckets = TIMELINE_BUCKETS): { buckets: TimelineBucket[]; unknown: number } {
  const times: number[] = [];
  let unknown = 0;
  for (const process of processes) {
    const time = process.startedAt === null ? Number.NaN : Date.parse(process.startedAt);
    if (Number.isNaN(time)) unknown += 1;
    else times.push(time);
  }
  if (times.length === 0) return { buckets: [], unknown };
  let first = Infinity;
  let last = -Infinity;
  for (const time of times) {
    if (time < first) first = time;
    if (time > last) last = time;
  }
  const end = Math.max(last, Date.parse(captureEnd) || last) + 1;
  const width = Math.max(1, Math.ceil((end - first) / buckets));
  const counts = new Array<number>(buckets).fill(0);
  for (const time of times) {
    const slot = Math.min(buckets - 1, Math.floor((time - first) / width));
    counts[slot] = (counts[slot] ?? 0) + 1;
  }
  return {
    buckets: counts.map((count, slot) => ({
      start: new Date(first + slot * width).toISOString(),
      end: new Date(first + (slot + 1) * width).toISOString(),
      count,
    })),
    unknown,
  };
}

/** Facts for the filters, the timeline and the sockets view. */
export function captureFacts(
  processes: readonly ProcessRow[],
  sockets: readonly SocketRecord[],
  captureEnd: string,
  metrics: readonly MetricSeries[] = [],
  hasCgroups = false,
): CaptureFacts {
  const users = [...new Set(processes.map((process) => process.user))].sort();
  const starts = processStartBuckets(processes, captureEnd);
  return {
    users: users.slice(0, 1000),
    listeningCount: sockets.filter(isListeningSocket).length,
    socketCount: sockets.length,
    processStarts: starts.buckets,
    unknownStarts: starts.unknown,
    hasCgroups,
    metrics,
  };
}
