import type { ProcessSortKey } from '../../../../preload/api';

/** One column of the process table. */
export interface ProcessColumn {
  readonly id: string;
  readonly label: string;
  readonly title: string;
  readonly sortKey: ProcessSortKey;
  readonly width: number;
  readonly numeric?: boolean;
}

/** The columns, shared by the header and every row so they line up. */
export const processColumns: readonly ProcessColumn[] = [
  { id: 'pid', label: 'PID', title: 'Process id', sortKey: 'pid', width: 72, numeric: true },
  { id: 'name', label: 'Name', title: 'Process name', sortKey: 'name', width: 240 },
  { id: 'user', label: 'User', title: 'Effective user', sortKey: 'user', width: 88 },
  { id: 'cpu', label: 'CPU', title: 'CPU time used', sortKey: 'cpu', width: 74, numeric: true },
  { id: 'rss', label: 'RSS', title: 'Resident memory', sortKey: 'rss', width: 84, numeric: true },
  { id: 'start', label: 'Started', title: 'Start time (UTC)', sortKey: 'start', width: 124 },
  { id: 'threads', label: 'Thr', title: 'Threads', sortKey: 'threads', width: 48, numeric: true },
  { id: 'exe', label: 'Executable', title: 'Executable path', sortKey: 'exe', width: 220 },
  { id: 'flags', label: 'Badges', title: 'Rules that fired, listeners, deleted executables', sortKey: 'flags', width: 150 },
];

/** The CSS grid template for the current widths. */
export function gridTemplate(widths: Readonly<Record<string, number>>): string {
  return processColumns.map((column) => `${widths[column.id] ?? column.width}px`).join(' ');
}
