import type { ProcessRow } from '../../../../preload/api';

/** Most rows the picker draws at once; a search narrows the rest. */
export const listingRowCap = 1000;

const maxPid = 4_194_304;

/** The whole-number pids in the targets field, in order, without repeats; other text is ignored. */
export function pidsInText(text: string): number[] {
  const pids = text
    .split(/[\s,]+/)
    .filter((part) => /^\d+$/.test(part))
    .map(Number)
    .filter((pid) => pid > 0 && pid <= maxPid);
  return [...new Set(pids)];
}

/**
 * The targets field with one pid picked or unpicked.
 *
 * Whatever else the user typed is kept when picking; unpicking removes only that pid.
 */
export function withPidToggled(text: string, pid: number): string {
  const parts = text.split(/[\s,]+/).filter((part) => part !== '');
  const present = parts.some((part) => /^\d+$/.test(part) && Number(part) === pid);
  const next = present ? parts.filter((part) => !(/^\d+$/.test(part) && Number(part) === pid)) : [...parts, String(pid)];
  return next.join(', ');
}

/** The searchable text of a row: pid, name, user and argv, lower case. */
function haystack(row: ProcessRow): string {
  return [String(row.pid), row.name.text, row.user, ...row.argv.map((arg) => arg.text)].join(' ').toLowerCase();
}

/**
 * The rows matching a search (every word must appear in pid, name, user or argv), by pid.
 *
 * Returns the total count too, so the picker can say how many the cap left out.
 */
export function filterListing(rows: readonly ProcessRow[], search: string): { readonly rows: readonly ProcessRow[]; readonly total: number } {
  const words = search.toLowerCase().split(/\s+/).filter((word) => word !== '');
  const matching = rows.filter((row) => {
    if (words.length === 0) return true;
    const text = haystack(row);
    return words.every((word) => text.includes(word));
  });
  const sorted = [...matching].sort((left, right) => left.pid - right.pid);
  return { rows: sorted.slice(0, listingRowCap), total: sorted.length };
}
