import type { ProcessFilters, ProcessSortKey, ProcessWindow, ProcessWindowRow } from '../../../../preload/api';

/** How the process table is asked of main: everything but the window position. */
export interface ProcessView {
  readonly search: string;
  readonly regex: boolean;
  readonly filters: ProcessFilters;
  readonly sort: { readonly key: ProcessSortKey; readonly descending: boolean };
  readonly mode: 'tree' | 'flat';
  readonly collapsed: readonly number[];
}

/** The table as a capture opens: the whole tree, by pid. */
export const defaultProcessView: ProcessView = {
  search: '',
  regex: false,
  filters: {},
  sort: { key: 'pid', descending: false },
  mode: 'tree',
  collapsed: [],
};

/** Rows asked for per window; the table shows ~40, the rest make scrolling seamless. */
export const WINDOW_ROWS = 300;

/** Rows kept above the first visible one when a window is asked for. */
export const WINDOW_LEAD = 100;

/** True when any search or filter narrows the table. */
export function isNarrowed(view: ProcessView): boolean {
  const { filters } = view;
  return view.search.trim() !== '' || filters.flaggedOnly === true || filters.user !== undefined || filters.listeningOnly === true || (filters.cgroup ?? '') !== '';
}

/** Collapses an expanded branch or expands a collapsed one. */
export function toggleCollapsed(view: ProcessView, pid: number): ProcessView {
  const collapsed = view.collapsed.includes(pid) ? view.collapsed.filter((entry) => entry !== pid) : [...view.collapsed, pid];
  return { ...view, collapsed };
}

/** Expands every listed branch (a selected process's ancestors). */
export function expandAll(view: ProcessView, pids: readonly number[]): ProcessView {
  const open = new Set(pids);
  return view.collapsed.some((pid) => open.has(pid)) ? { ...view, collapsed: view.collapsed.filter((pid) => !open.has(pid)) } : view;
}

/** Clicking a column: sort by it, or flip the direction when it already sorts. Numbers start largest first. */
export function nextSort(view: ProcessView, key: ProcessSortKey): ProcessView {
  if (view.sort.key === key) return { ...view, sort: { key, descending: !view.sort.descending } };
  const numeric = key === 'cpu' || key === 'rss' || key === 'threads' || key === 'flags';
  return { ...view, sort: { key, descending: numeric } };
}

/** The loaded row at a result index, if the current window holds it. */
export function rowAt(window: ProcessWindow | null, index: number): ProcessWindowRow | undefined {
  if (!window) return undefined;
  return window.rows[index - window.offset];
}

/** True when the window holds every row from `start` to `end` (inclusive, clamped to the result). */
export function windowCovers(window: ProcessWindow | null, start: number, end: number): boolean {
  if (!window) return false;
  const last = Math.min(end, window.total - 1);
  return start >= window.offset && last < window.offset + window.rows.length;
}

/** Where a window should start so the rows `start`..`end` sit inside it with room either side. */
export function windowOffsetFor(start: number): number {
  return Math.max(0, start - WINDOW_LEAD);
}

/** Keys the tree-table handles. */
export type TreeKey = 'ArrowUp' | 'ArrowDown' | 'ArrowLeft' | 'ArrowRight' | 'Home' | 'End' | 'PageUp' | 'PageDown';

/** True for a key the tree-table handles. */
export function isTreeKey(key: string): key is TreeKey {
  return ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageUp', 'PageDown'].includes(key);
}

/** What a key does: move the cursor to an index, or expand/collapse a branch. */
export type TreeMove = { readonly kind: 'move'; readonly index: number } | { readonly kind: 'toggle'; readonly pid: number } | { readonly kind: 'none' };

const PAGE = 20;

/**
 * What a navigation key does at the cursor (the ARIA tree pattern): Up/Down move, Right expands or
 * enters a branch, Left collapses or goes to the parent, Home/End/PageUp/PageDown jump.
 */
export function treeMove(window: ProcessWindow | null, cursor: number | null, key: TreeKey): TreeMove {
  const total = window?.total ?? 0;
  if (total === 0) return { kind: 'none' };
  const clamp = (index: number): TreeMove => ({ kind: 'move', index: Math.max(0, Math.min(total - 1, index)) });
  if (cursor === null) return key === 'End' ? clamp(total - 1) : clamp(0);
  const row = rowAt(window, cursor);
  switch (key) {
    case 'ArrowUp':
      return clamp(cursor - 1);
    case 'ArrowDown':
      return clamp(cursor + 1);
    case 'Home':
      return clamp(0);
    case 'End':
      return clamp(total - 1);
    case 'PageUp':
      return clamp(cursor - PAGE);
    case 'PageDown':
      return clamp(cursor + PAGE);
    case 'ArrowRight':
      if (!row?.hasChildren) return { kind: 'none' };
      return row.expanded ? clamp(cursor + 1) : { kind: 'toggle', pid: row.process.pid };
    case 'ArrowLeft': {
      if (!row) return { kind: 'none' };
      if (row.hasChildren && row.expanded) return { kind: 'toggle', pid: row.process.pid };
      // The parent is the nearest row above with a smaller depth (tree order keeps it above).
      for (let index = cursor - 1; index >= (window?.offset ?? 0); index -= 1) {
        const above = rowAt(window, index);
        if (above && above.depth < row.depth) return clamp(index);
      }
      return { kind: 'none' };
    }
  }
}

/** The rows as tab-separated text for the clipboard: one line per process, the header first. */
export function rowsAsText(rows: readonly ProcessWindowRow[]): string {
  const header = ['pid', 'ppid', 'name', 'user', 'cpu_s', 'rss_kib', 'started', 'threads', 'exe', 'flags'].join('\t');
  const lines = rows.map(({ process, depth }) =>
    [
      process.pid,
      process.ppid,
      `${'  '.repeat(depth)}${process.name.text}`,
      process.user,
      process.cpuSeconds,
      process.rssKiB,
      process.startedAt ?? '',
      process.threads,
      process.exe.text,
      process.flags.join(','),
    ].join('\t'),
  );
  return [header, ...lines].join('\n');
}
