import type { ProcessRow } from '../../../../preload/api';

/** Processes arranged by parent, ready to walk from the roots. */
export interface ProcessTree {
  readonly byPid: ReadonlyMap<number, ProcessRow>;
  /** Roots in pid order: real roots, orphans whose parent is absent, and one member of each pid cycle. */
  readonly roots: readonly number[];
  readonly children: ReadonlyMap<number, readonly number[]>;
  /** The parent shown in the tree (absent for roots), which differs from `ppid` for orphans and cycles. */
  readonly parentOf: ReadonlyMap<number, number>;
}

/** An empty tree, for when no capture is open. */
export const emptyProcessTree: ProcessTree = {
  byPid: new Map(),
  roots: [],
  children: new Map(),
  parentOf: new Map(),
};

/**
 * Builds the process tree from the flat list a capture holds.
 *
 * Guest data is hostile, so: a repeated pid keeps its first row; a process whose parent is missing
 * (or is itself) becomes a root; a cycle of parents (1 -> 2 -> 1) is cut at its lowest pid, which
 * becomes a root, so every process appears exactly once.
 */
export function buildProcessTree(rows: readonly ProcessRow[]): ProcessTree {
  const byPid = new Map<number, ProcessRow>();
  for (const row of rows) if (!byPid.has(row.pid)) byPid.set(row.pid, row);

  const parentOf = new Map<number, number>();
  for (const row of byPid.values()) {
    if (row.ppid !== row.pid && byPid.has(row.ppid)) parentOf.set(row.pid, row.ppid);
  }
  cutCycles(parentOf);

  const children = new Map<number, number[]>();
  const roots: number[] = [];
  for (const pid of byPid.keys()) {
    const parent = parentOf.get(pid);
    if (parent === undefined) {
      roots.push(pid);
      continue;
    }
    const siblings = children.get(parent);
    if (siblings) siblings.push(pid);
    else children.set(parent, [pid]);
  }
  roots.sort(byNumber);
  for (const list of children.values()) list.sort(byNumber);
  return { byPid, roots, children, parentOf };
}

/** Removes one parent link from every cycle, at the cycle's lowest pid. */
function cutCycles(parentOf: Map<number, number>): void {
  const settled = new Set<number>();
  for (const start of [...parentOf.keys()]) {
    const path: number[] = [];
    const onPath = new Set<number>();
    let current: number | undefined = start;
    while (current !== undefined && !settled.has(current) && !onPath.has(current)) {
      path.push(current);
      onPath.add(current);
      current = parentOf.get(current);
    }
    if (current !== undefined && onPath.has(current)) {
      const cycle = path.slice(path.indexOf(current));
      parentOf.delete(Math.min(...cycle));
    }
    for (const pid of path) settled.add(pid);
  }
}

/** The chain of shown parents of a process, nearest first. */
export function ancestorsOf(tree: ProcessTree, pid: number): readonly number[] {
  const ancestors: number[] = [];
  let parent = tree.parentOf.get(pid);
  while (parent !== undefined) {
    ancestors.push(parent);
    parent = tree.parentOf.get(parent);
  }
  return ancestors;
}

function byNumber(a: number, b: number): number {
  return a - b;
}
