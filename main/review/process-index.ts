import type { ProcessRow, SocketRecord } from '../../preload/api';

/**
 * The processes of one capture arranged for fast queries: parent links, children, and one
 * lower-cased search text per process.
 *
 * Built once per open capture in main, so the renderer only ever receives windows of rows.
 */
export interface ProcessIndex {
  /** In capture order, so a row's index is its `record`: the identity the contract uses, since pids can repeat. */
  readonly rows: readonly ProcessRow[];
  /** The first row of each pid; a second process with the same pid is reached by its record only. */
  readonly indexByPid: ReadonlyMap<number, number>;
  /** Row index of each row's parent, or -1 for roots (pid 0 parents and orphans). */
  readonly parentOf: Int32Array;
  /** Row indexes of each row's children, in capture order. */
  readonly childrenOf: readonly (readonly number[])[];
  /** Row indexes of the roots, in capture order. */
  readonly roots: readonly number[];
  /** Pid, name, user, exe and argv on lines of their own, lower-cased: what a search looks at. */
  readonly searchText: readonly string[];
  /** Rows with a listening socket. */
  readonly listening: Uint8Array;
  /** Each row's cgroup path, lower-cased ('' when not collected). */
  readonly cgroups: readonly string[];
}

// A search looks at this many characters of a process at most: a megabyte-long argv cannot make one
// keystroke cost seconds, and regexes never see unbounded input.
const SEARCH_TEXT_MAX = 2048;

// One field per line (pid, name, user, exe, argv joined by spaces), so a regex with ^ and $ in
// multiline mode anchors to a field. Each field is capped on its own so a huge name cannot push the
// pid or user out of reach of the search.
const FIELD_MAX = 512;

function searchTextOf(row: ProcessRow): string {
  const field = (text: string): string => text.slice(0, FIELD_MAX);
  let text = `${row.pid}\n${field(row.name.text)}\n${field(row.user)}\n${field(row.exe.text)}\n`;
  for (const [position, argument] of row.argv.entries()) {
    if (text.length >= SEARCH_TEXT_MAX) break;
    text += position === 0 ? field(argument.text) : ` ${field(argument.text)}`;
  }
  return text.slice(0, SEARCH_TEXT_MAX).toLowerCase();
}

/** Socket states that mean a listener (TCP LISTEN; UDP sockets without a peer). */
export function isListeningSocket(socket: SocketRecord): boolean {
  if (socket.state === 'LISTEN') return true;
  return (socket.protocol === 'udp' || socket.protocol === 'udp6') && socket.remoteAddress === null;
}

/** Builds the index; a parent cycle in hostile data leaves the rows of the cycle as roots. */
export function buildProcessIndex(rows: readonly ProcessRow[], sockets: readonly SocketRecord[], cgroups: readonly string[] = []): ProcessIndex {
  const indexByPid = new Map<number, number>();
  rows.forEach((row, index) => {
    if (!indexByPid.has(row.pid)) indexByPid.set(row.pid, index);
  });
  const parentOf = new Int32Array(rows.length).fill(-1);
  rows.forEach((row, index) => {
    const parent = row.ppid === row.pid ? undefined : indexByPid.get(row.ppid);
    if (parent !== undefined && indexByPid.get(row.pid) === index) parentOf[index] = parent;
  });
  breakCycles(parentOf);
  const childrenOf: number[][] = rows.map(() => []);
  const roots: number[] = [];
  for (let index = 0; index < rows.length; index += 1) {
    const parent = parentOf[index] ?? -1;
    if (parent < 0) roots.push(index);
    else childrenOf[parent]?.push(index);
  }
  const listening = new Uint8Array(rows.length);
  for (const socket of sockets) {
    if (socket.pid === null || !isListeningSocket(socket)) continue;
    const index = indexByPid.get(socket.pid);
    if (index !== undefined) listening[index] = 1;
  }
  return {
    rows,
    indexByPid,
    parentOf,
    childrenOf,
    roots,
    searchText: rows.map(searchTextOf),
    listening,
    cgroups: rows.map((_, index) => (cgroups[index] ?? '').toLowerCase()),
  };
}

// Walks up from each row with a visit mark; meeting a row of the current walk is a cycle, cut there.
function breakCycles(parentOf: Int32Array): void {
  const state = new Uint8Array(parentOf.length); // 0 unseen, 1 on the current walk, 2 done
  for (let start = 0; start < parentOf.length; start += 1) {
    const walk: number[] = [];
    let current = start;
    while (current >= 0 && state[current] === 0) {
      state[current] = 1;
      walk.push(current);
      const parent = parentOf[current] ?? -1;
      if (parent >= 0 && state[parent] === 1) {
        parentOf[current] = -1;
        break;
      }
      current = parent;
    }
    for (const index of walk) state[index] = 2;
  }
}

/** Row indexes of a row's ancestors, root first. */
export function ancestorsOf(index: ProcessIndex, row: number): number[] {
  const ancestors: number[] = [];
  let parent = index.parentOf[row] ?? -1;
  while (parent >= 0) {
    ancestors.push(parent);
    parent = index.parentOf[parent] ?? -1;
  }
  return ancestors.reverse();
}
