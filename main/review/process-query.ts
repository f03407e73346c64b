import type { ProcessFilters, ProcessRow, ProcessSortKey, ProcessWindow, ProcessWindowQuery, ProcessWindowRow } from '../../preload/api';
import type { ProcessIndex } from './process-index';
import { plainSearch, regexSearch } from './regex-search';

/** The most rows one window may hold. */
export const MAX_WINDOW_ROWS = 1000;

/** The ordered rows of a query before windowing: row indexes and their depth. */
interface QueryResult {
  readonly order: Int32Array;
  readonly depth: Int32Array;
  readonly matched: Uint8Array;
  readonly matching: number;
  readonly searchError: string | null;
  readonly collapsed: ReadonlySet<number>;
  readonly mode: 'tree' | 'flat';
}

/** Per-capture caches, so scrolling (a new window of the same query) costs only the window. */
export interface ProcessQueryCache {
  search?: { readonly key: string; readonly matched: Uint8Array | null; readonly error: string | null };
  ranks: Map<string, Int32Array>;
  result?: { readonly key: string; readonly value: QueryResult };
}

/** A new, empty cache for one capture. */
export function createProcessQueryCache(): ProcessQueryCache {
  return { ranks: new Map() };
}

type Comparable = number | string;

function sortValue(row: ProcessRow, key: ProcessSortKey): Comparable {
  switch (key) {
    case 'pid':
      return row.pid;
    case 'name':
      return row.name.text.toLowerCase();
    case 'user':
      return row.user.toLowerCase();
    case 'cpu':
      return row.cpuSeconds;
    case 'rss':
      return row.rssKiB;
    case 'start':
      return row.startedAt ?? '';
    case 'threads':
      return row.threads;
    case 'exe':
      return row.exe.text.toLowerCase();
    case 'flags':
      return row.flags.length;
  }
}

// The rank of every row under one sort: sorting siblings then compares two integers.
function ranksFor(index: ProcessIndex, cache: ProcessQueryCache, key: ProcessSortKey, descending: boolean): Int32Array {
  const cacheKey = `${key}:${descending}`;
  const cached = cache.ranks.get(cacheKey);
  if (cached) return cached;
  const values = index.rows.map((row) => sortValue(row, key));
  const order = Array.from(index.rows.keys());
  const direction = descending ? -1 : 1;
  order.sort((left, right) => {
    const a = values[left] as Comparable;
    const b = values[right] as Comparable;
    if (a < b) return -direction;
    if (a > b) return direction;
    return (index.rows[left]?.pid ?? 0) - (index.rows[right]?.pid ?? 0);
  });
  const ranks = new Int32Array(order.length);
  order.forEach((row, rank) => {
    ranks[row] = rank;
  });
  cache.ranks.set(cacheKey, ranks);
  return ranks;
}

function searchMask(index: ProcessIndex, cache: ProcessQueryCache, search: string, regex: boolean): { matched: Uint8Array | null; error: string | null } {
  const trimmed = search.trim();
  const key = `${regex}:${trimmed}`;
  if (cache.search?.key === key) return cache.search;
  let entry: { key: string; matched: Uint8Array | null; error: string | null };
  if (trimmed === '') entry = { key, matched: null, error: null };
  else if (!regex) entry = { key, matched: plainSearch(index.searchText, trimmed), error: null };
  else {
    const outcome = regexSearch(index.searchText, trimmed);
    entry = outcome.ok ? { key, matched: outcome.matched, error: null } : { key, matched: null, error: outcome.message };
  }
  cache.search = entry;
  return entry;
}

function isFiltering(filters: ProcessFilters): boolean {
  return filters.flaggedOnly === true || filters.user !== undefined || filters.listeningOnly === true || (filters.cgroup ?? '') !== '';
}

function applyFilters(index: ProcessIndex, searched: Uint8Array | null, filters: ProcessFilters): Uint8Array {
  const matched = new Uint8Array(index.rows.length);
  const cgroup = (filters.cgroup ?? '').toLowerCase();
  for (let row = 0; row < matched.length; row += 1) {
    if (searched && searched[row] !== 1) continue;
    const process = index.rows[row] as ProcessRow;
    if (filters.flaggedOnly && process.flags.length === 0) continue;
    if (filters.user !== undefined && process.user !== filters.user) continue;
    if (filters.listeningOnly && index.listening[row] !== 1) continue;
    if (cgroup !== '' && !(index.cgroups[row] ?? '').includes(cgroup)) continue;
    matched[row] = 1;
  }
  return matched;
}

function treeOrder(
  index: ProcessIndex,
  ranks: Int32Array,
  matched: Uint8Array,
  filtering: boolean,
  collapsed: ReadonlySet<number>,
): { order: Int32Array; depth: Int32Array } {
  // With a filter on, a row shows when it matches or a descendant does (as context for the match).
  let keep: Uint8Array | null = null;
  if (filtering) {
    keep = new Uint8Array(matched.length);
    for (let row = 0; row < matched.length; row += 1) {
      if (matched[row] !== 1) continue;
      let current = row;
      while (current >= 0 && keep[current] !== 1) {
        keep[current] = 1;
        current = index.parentOf[current] ?? -1;
      }
    }
  }
  const byRank = (left: number, right: number): number => (ranks[left] ?? 0) - (ranks[right] ?? 0);
  const order = new Int32Array(index.rows.length);
  const depth = new Int32Array(index.rows.length);
  let length = 0;
  // An explicit stack: a hostile capture can nest processes deeper than the call stack allows.
  const stack: { row: number; depth: number }[] = [];
  const pushChildren = (children: readonly number[], childDepth: number): void => {
    const shown = keep ? children.filter((child) => keep[child] === 1) : [...children];
    shown.sort(byRank);
    for (let position = shown.length - 1; position >= 0; position -= 1) stack.push({ row: shown[position] as number, depth: childDepth });
  };
  pushChildren(index.roots, 0);
  while (stack.length > 0) {
    const next = stack.pop() as { row: number; depth: number };
    order[length] = next.row;
    depth[length] = next.depth;
    length += 1;
    const process = index.rows[next.row] as ProcessRow;
    if (!collapsed.has(process.pid)) pushChildren(index.childrenOf[next.row] ?? [], next.depth + 1);
  }
  return { order: order.slice(0, length), depth: depth.slice(0, length) };
}

function flatOrder(ranks: Int32Array, matched: Uint8Array): { order: Int32Array; depth: Int32Array } {
  const byRank = new Int32Array(ranks.length);
  for (let row = 0; row < ranks.length; row += 1) byRank[ranks[row] as number] = row;
  const order: number[] = [];
  for (const row of byRank) if (matched[row] === 1) order.push(row);
  return { order: Int32Array.from(order), depth: new Int32Array(order.length) };
}

function resultFor(index: ProcessIndex, cache: ProcessQueryCache, query: ProcessWindowQuery): QueryResult {
  const key = JSON.stringify([query.search.trim(), query.regex, query.filters, query.sort, query.mode, query.mode === 'tree' ? query.collapsed : []]);
  if (cache.result?.key === key) return cache.result.value;
  const search = searchMask(index, cache, query.search, query.regex);
  const matched = applyFilters(index, search.matched, query.filters);
  let matching = 0;
  for (const value of matched) matching += value;
  const ranks = ranksFor(index, cache, query.sort.key, query.sort.descending);
  const collapsed = new Set(query.collapsed);
  const filtering = search.matched !== null || isFiltering(query.filters);
  const { order, depth } = query.mode === 'tree' ? treeOrder(index, ranks, matched, filtering, collapsed) : flatOrder(ranks, matched);
  const value: QueryResult = { order, depth, matched, matching, searchError: search.error, collapsed, mode: query.mode };
  cache.result = { key, value };
  return value;
}

/** Answers a process window query: the rows from `offset`, and the size of the whole result. */
export function queryProcessWindow(index: ProcessIndex, cache: ProcessQueryCache, query: ProcessWindowQuery): ProcessWindow {
  const result = resultFor(index, cache, query);
  const offset = Math.max(0, Math.min(query.offset, result.order.length));
  const end = Math.min(result.order.length, offset + Math.min(query.limit, MAX_WINDOW_ROWS));
  const rows: ProcessWindowRow[] = [];
  for (let position = offset; position < end; position += 1) {
    const row = result.order[position] as number;
    const process = index.rows[row] as ProcessRow;
    const hasChildren = result.mode === 'tree' && (index.childrenOf[row]?.length ?? 0) > 0;
    rows.push({
      process,
      depth: result.depth[position] ?? 0,
      hasChildren,
      expanded: hasChildren && !result.collapsed.has(process.pid),
      matches: result.matched[row] === 1,
      listening: index.listening[row] === 1,
    });
  }
  let locatedIndex: number | null = null;
  const locate = query.locateRecord ?? query.locatePid;
  if (locate !== undefined) {
    // A record is the row itself; a pid names its first process (pids can repeat in hostile data).
    const row = query.locateRecord !== undefined ? (query.locateRecord < index.rows.length ? query.locateRecord : undefined) : index.indexByPid.get(locate);
    if (row !== undefined) {
      const found = result.order.indexOf(row);
      locatedIndex = found >= 0 ? found : null;
    }
  }
  return {
    offset,
    rows,
    total: result.order.length,
    matching: result.matching,
    processCount: index.rows.length,
    searchError: result.searchError,
    locatedIndex,
  };
}
