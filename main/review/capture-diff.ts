import type { CaptureDiff, DiffList, Finding, GuestText, ProcessChange, ProcessRow, SocketRecord } from '../../preload/api';

/** Most items of each list a diff carries; the counts stay exact. */
export const MAX_DIFF_ITEMS = 2000;

/** What the diff compares of one capture. */
export interface DiffSide {
  readonly handle: string;
  readonly title: string;
  readonly processes: readonly ProcessRow[];
  readonly sockets: readonly SocketRecord[];
  readonly findings: readonly Finding[];
  /** Kernel module names, when the capture collected them. */
  readonly kernelModules: readonly GuestText[] | null;
}

// A process is "the same" across captures when pid, name and start time agree: a reused pid with a
// new program is a removal and an addition, not a change.
function processKey(row: ProcessRow): string {
  return `${row.pid}\u0000${row.name.text}\u0000${row.startedAt ?? ''}`;
}

function socketKey(socket: SocketRecord): string {
  return [socket.protocol, socket.state, socket.localAddress.text, socket.localPort, socket.remoteAddress?.text ?? '', socket.remotePort, socket.pid].join('\u0000');
}

function findingKey(finding: Finding): string {
  return `${finding.rule}\u0000${finding.title}\u0000${[...finding.pids].sort((a, b) => a - b).join(',')}`;
}

function diffBy<T>(before: readonly T[], after: readonly T[], key: (item: T) => string): DiffList<T> & { readonly common: [T, T][] } {
  const beforeByKey = new Map(before.map((item) => [key(item), item]));
  const afterByKey = new Map(after.map((item) => [key(item), item]));
  const added: T[] = [];
  const removed: T[] = [];
  const common: [T, T][] = [];
  let addedCount = 0;
  let removedCount = 0;
  for (const [itemKey, item] of afterByKey) {
    const previous = beforeByKey.get(itemKey);
    if (previous === undefined) {
      addedCount += 1;
      if (added.length < MAX_DIFF_ITEMS) added.push(item);
    } else common.push([previous, item]);
  }
  for (const [itemKey, item] of beforeByKey) {
    if (afterByKey.has(itemKey)) continue;
    removedCount += 1;
    if (removed.length < MAX_DIFF_ITEMS) removed.push(item);
  }
  return { added, removed, addedCount, removedCount, common };
}

function changedFields(before: ProcessRow, after: ProcessRow): string[] {
  const fields: string[] = [];
  if (before.ppid !== after.ppid) fields.push('parent');
  if (before.user !== after.user || before.uid !== after.uid) fields.push('user');
  if (before.exe.text !== after.exe.text || before.exeDeleted !== after.exeDeleted) fields.push('executable');
  if (before.argv.map((argument) => argument.text).join('\u0000') !== after.argv.map((argument) => argument.text).join('\u0000')) fields.push('arguments');
  if (before.threads !== after.threads) fields.push('threads');
  if (before.flags.join(',') !== after.flags.join(',')) fields.push('flags');
  return fields;
}

function modules(processes: readonly ProcessRow[]): GuestText[] {
  const seen = new Map<string, GuestText>();
  for (const process of processes) if (process.exe.text !== '' && !seen.has(process.exe.text)) seen.set(process.exe.text, process.exe);
  return [...seen.values()];
}

function strip<T>(list: DiffList<T> & { readonly common: unknown }): DiffList<T> {
  return { added: list.added, removed: list.removed, addedCount: list.addedCount, removedCount: list.removedCount };
}

// Kernel modules are what "modules" means when both captures list them; executables otherwise.
function moduleDiff(before: DiffSide, after: DiffSide): Pick<CaptureDiff, 'modules' | 'modulesKind'> {
  if (before.kernelModules && after.kernelModules) {
    return { modules: strip(diffBy(before.kernelModules, after.kernelModules, (module) => module.text)), modulesKind: 'kernel-modules' };
  }
  return { modules: strip(diffBy(modules(before.processes), modules(after.processes), (module) => module.text)), modulesKind: 'executables' };
}

/** Compares two captures: processes, sockets, modules (executables) and findings added, removed and changed. */
export function compareCaptures(before: DiffSide, after: DiffSide): CaptureDiff {
  const processes = diffBy(before.processes, after.processes, processKey);
  const changed: ProcessChange[] = [];
  let changedCount = 0;
  for (const [previous, current] of processes.common) {
    const fields = changedFields(previous, current);
    if (fields.length === 0) continue;
    changedCount += 1;
    if (changed.length < MAX_DIFF_ITEMS) changed.push({ before: previous, after: current, fields });
  }
  return {
    before: { handle: before.handle, title: before.title },
    after: { handle: after.handle, title: after.title },
    processes: { ...strip(processes), changed, changedCount },
    sockets: strip(diffBy(before.sockets, after.sockets, socketKey)),
    ...moduleDiff(before, after),
    findings: strip(diffBy(before.findings, after.findings, findingKey)),
  };
}
