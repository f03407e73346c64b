import type { Estimate, LoadSettings } from '../../../preload/api';

/** A measured number with as many digits as read well: whole from 100 up, one decimal from 1, two below. */
export function formatMeasure(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const size = Math.abs(value);
  if (size >= 100) return String(Math.round(value));
  if (size >= 1) return value.toFixed(1);
  return value.toFixed(2);
}

/** A median with its interval, `212 req/s (205–220)`; a dash when nothing was measured. */
export function formatEstimate(estimate: Estimate | null, unit: string): string {
  if (estimate === null) return '—';
  return `${formatMeasure(estimate.median)} ${unit} (${formatMeasure(estimate.low)}–${formatMeasure(estimate.high)})`;
}

/** Errors over requests, `3 / 5000`. */
export function formatErrorShare(errors: number, requests: number): string {
  return `${errors} / ${requests}`;
}

/** Production's throughput during the experiment over its throughput alone; null without both. */
export function productionRatio(production: { readonly aloneRps: number | null; readonly duringRps: number | null } | null): number | null {
  if (production === null || production.aloneRps === null || production.duringRps === null || production.aloneRps <= 0) return null;
  return production.duringRps / production.aloneRps;
}

/** The load settings in one sentence, as the report repeats them. */
export function describeLoad(load: LoadSettings): string {
  const loop = load.mode === 'closed' ? `closed loop, ${load.concurrency} in flight` : `open loop, ${load.rate ?? 0} requests/s offered`;
  const source =
    load.source.kind === 'paths'
      ? `requests to ${load.source.paths.join(', ')}`
      : `the last ${load.source.lastN} requests of ${load.source.logPath} replayed`;
  return `${loop}; ${load.warmupSeconds} s warm-up and ${load.durationSeconds} s measured per run; ${source}.`;
}

/** A duration in seconds as `1 h 05 min`, `4 min 10 s` or `40 s`. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return whole % 60 === 0 ? `${minutes} min` : `${minutes} min ${whole % 60} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
