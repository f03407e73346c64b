import type { ProcessRow } from '../../../../preload/api';
import { ancestorsOf, type ProcessTree } from './process-tree';

/** One row of the tree-table as shown. */
export interface VisibleProcessRow {
  readonly pid: number;
  readonly depth: number;
  readonly hasChildren: boolean;
  readonly expanded: boolean;
  /** False for a parent shown only to give context to a matching descendant. */
  readonly matches: boolean;
}

/** What narrows the tree-table. */
export interface ProcessFilter {
  readonly query: string;
  readonly flaggedOnly: boolean;
  readonly collapsed: ReadonlySet<number>;
}

/**
 * Whether a process matches a search: pid (exact), name, user or any argv word (case-insensitive).
 */
export function matchesProcessQuery(row: ProcessRow, query: string): boolean {
  const needle = query.trim().toLowerCase();
  if (needle === '') return true;
  if (/^\d+$/.test(needle) && row.pid === Number(needle)) return true;
  if (row.name.text.toLowerCase().includes(needle)) return true;
  if (row.user.toLowerCase().includes(needle)) return true;
  return row.argv.some((argument) => argument.text.toLowerCase().includes(needle));
}

/** Whether a filter hides anything besides collapsed branches. */
export function isFiltering(filter: ProcessFilter): boolean {
  return filter.flaggedOnly || filter.query.trim() !== '';
}

/**
 * The rows to show, depth-first in pid order.
 *
 * Without a search every process shows unless a parent is collapsed. With a search or "flagged
 * only", matching processes show with their ancestors for context, all expanded, so nothing that
 * matches can hide behind a collapsed parent.
 */
export function visibleProcessRows(tree: ProcessTree, filter: ProcessFilter): readonly VisibleProcessRow[] {
  const filtering = isFiltering(filter);
  const included = filtering ? includedByFilter(tree, filter) : undefined;
  const rows: VisibleProcessRow[] = [];
  // An explicit stack instead of recursion: a hostile capture can nest thousands deep.
  const stack: { pid: number; depth: number }[] = [...tree.roots].reverse().map((pid) => ({ pid, depth: 0 }));
  while (stack.length > 0) {
    const { pid, depth } = stack.pop() as { pid: number; depth: number };
    if (included && !included.has(pid)) continue;
    const children = tree.children.get(pid) ?? [];
    const shownChildren = included ? children.filter((child) => included.has(child)) : children;
    const expanded = filtering || !filter.collapsed.has(pid);
    const row = tree.byPid.get(pid) as ProcessRow;
    rows.push({
      pid,
      depth,
      hasChildren: shownChildren.length > 0,
      expanded: shownChildren.length > 0 && expanded,
      matches: !filtering || matchesFilter(row, filter),
    });
    if (expanded) for (let index = shownChildren.length - 1; index >= 0; index--) {
      stack.push({ pid: shownChildren[index] as number, depth: depth + 1 });
    }
  }
  return rows;
}

function matchesFilter(row: ProcessRow, filter: ProcessFilter): boolean {
  return (!filter.flaggedOnly || row.flags.length > 0) && matchesProcessQuery(row, filter.query);
}

function includedByFilter(tree: ProcessTree, filter: ProcessFilter): ReadonlySet<number> {
  const included = new Set<number>();
  for (const row of tree.byPid.values()) {
    if (!matchesFilter(row, filter)) continue;
    included.add(row.pid);
    for (const ancestor of ancestorsOf(tree, row.pid)) {
      if (included.has(ancestor)) break;
      included.add(ancestor);
    }
  }
  return included;
}
