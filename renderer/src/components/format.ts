/** A size in KiB, in the unit that reads best. */
export function formatKiB(kib: number): string {
  if (kib < 1024) return `${kib} KiB`;
  if (kib < 1024 * 1024) return `${(kib / 1024).toFixed(1)} MiB`;
  return `${(kib / 1024 / 1024).toFixed(2)} GiB`;
}

/** CPU time as h:mm:ss, or seconds with one decimal under a minute. */
export function formatCpuSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.floor(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  return `${hours}:${String(minutes).padStart(2, '0')}:${String(rest).padStart(2, '0')}`;
}

/** An ISO time as `YYYY-MM-DD HH:MM:SS` UTC: analysts compare times across hosts. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** An ISO time as `MM-DD HH:MM:SS` UTC, for dense tables where the year is the capture's. */
export function formatShortTime(iso: string | null | undefined): string {
  const full = formatTime(iso);
  return /^\d{4}-/.test(full) ? full.slice(5, 19) : full;
}
