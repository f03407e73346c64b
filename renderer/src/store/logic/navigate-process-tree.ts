import { ancestorsOf, type ProcessTree } from './process-tree';
import type { VisibleProcessRow } from './visible-process-rows';

/** Keys the tree-table answers. */
export type TreeKey = 'ArrowUp' | 'ArrowDown' | 'ArrowLeft' | 'ArrowRight' | 'Home' | 'End';

/** Selection and collapsed branches of the tree-table. */
export interface TreeCursor {
  readonly selectedPid: number | null;
  readonly collapsed: ReadonlySet<number>;
}

/** Whether a key is one the tree-table answers. */
export function isTreeKey(key: string): key is TreeKey {
  return ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(key);
}

/**
 * The cursor after one key, following the WAI-ARIA treegrid pattern.
 *
 * Up/Down move between shown rows; Right expands a collapsed row, else moves to its first child;
 * Left collapses an expanded row, else moves to its parent. `filtering` pins branches open.
 */
export function navigateProcessTree(
  rows: readonly VisibleProcessRow[],
  tree: ProcessTree,
  cursor: TreeCursor,
  key: TreeKey,
  filtering: boolean,
): TreeCursor {
  if (rows.length === 0) return cursor;
  const index = cursor.selectedPid === null ? -1 : rows.findIndex((row) => row.pid === cursor.selectedPid);
  const select = (at: number): TreeCursor => ({ ...cursor, selectedPid: (rows[at] as VisibleProcessRow).pid });
  if (index === -1) return key === 'End' ? select(rows.length - 1) : select(0);
  const row = rows[index] as VisibleProcessRow;

  switch (key) {
    case 'ArrowDown':
      return select(Math.min(index + 1, rows.length - 1));
    case 'ArrowUp':
      return select(Math.max(index - 1, 0));
    case 'Home':
      return select(0);
    case 'End':
      return select(rows.length - 1);
    case 'ArrowRight':
      if (!row.hasChildren) return cursor;
      if (!row.expanded && !filtering) return { ...cursor, collapsed: without(cursor.collapsed, row.pid) };
      return select(index + 1);
    case 'ArrowLeft': {
      if (row.expanded && !filtering) return { ...cursor, collapsed: withAdded(cursor.collapsed, row.pid) };
      const parent = tree.parentOf.get(row.pid);
      return parent === undefined ? cursor : { ...cursor, selectedPid: parent };
    }
  }
}

/** Collapsed branches with every ancestor of `pid` opened, so the process shows. */
export function revealProcess(tree: ProcessTree, collapsed: ReadonlySet<number>, pid: number): ReadonlySet<number> {
  const ancestors = ancestorsOf(tree, pid);
  if (!ancestors.some((ancestor) => collapsed.has(ancestor))) return collapsed;
  const next = new Set(collapsed);
  for (const ancestor of ancestors) next.delete(ancestor);
  return next;
}

/** Collapsed branches with one branch flipped. */
export function toggleCollapsed(collapsed: ReadonlySet<number>, pid: number): ReadonlySet<number> {
  return collapsed.has(pid) ? without(collapsed, pid) : withAdded(collapsed, pid);
}

function without(set: ReadonlySet<number>, pid: number): ReadonlySet<number> {
  const next = new Set(set);
  next.delete(pid);
  return next;
}

function withAdded(set: ReadonlySet<number>, pid: number): ReadonlySet<number> {
  return new Set(set).add(pid);
}
