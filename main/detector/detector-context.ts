import type { StoredProcess, StoredSocket, SystemDocument } from '../bundle/bundle-schema';
import { guestStringText } from './guest-string-text';

/** A process with its text fields decoded once, for rules to read. */
export interface ProcessView {
  readonly record: StoredProcess;
  readonly pid: number;
  readonly ppid: number;
  readonly name: string;
  readonly exe: string;
  readonly argv: readonly string[];
  readonly environment: readonly string[];
  readonly user: string;
}

/** What every rule sees: processes by pid, their children, and sockets by pid. */
export interface DetectorContext {
  readonly processes: readonly ProcessView[];
  readonly byPid: ReadonlyMap<number, ProcessView>;
  readonly listeners: ReadonlyMap<number, readonly StoredSocket[]>;
  readonly connections: ReadonlyMap<number, readonly StoredSocket[]>;
  /** The capture's system document; null when the collector did not produce one. */
  readonly system: SystemDocument | null;
  /** Ancestors of a process, nearest first, stopping at a cycle or a missing parent. */
  ancestors(view: ProcessView, limit?: number): ProcessView[];
}

function isListening(socket: StoredSocket): boolean {
  return socket.state === 'LISTEN' || ((socket.protocol === 'udp' || socket.protocol === 'udp6') && socket.remotePort === null);
}

function groupByPid(sockets: readonly StoredSocket[], keep: (socket: StoredSocket) => boolean): Map<number, StoredSocket[]> {
  const groups = new Map<number, StoredSocket[]>();
  for (const socket of sockets) {
    if (socket.pid === null || !keep(socket)) continue;
    const list = groups.get(socket.pid) ?? [];
    list.push(socket);
    groups.set(socket.pid, list);
  }
  return groups;
}

/** Builds the context from the collected documents. */
export function createDetectorContext(
  processes: readonly StoredProcess[],
  sockets: readonly StoredSocket[],
  system: SystemDocument | null = null,
): DetectorContext {
  const views = processes.map<ProcessView>((record) => ({
    record,
    pid: record.pid,
    ppid: record.ppid,
    name: guestStringText(record.name),
    exe: guestStringText(record.exe),
    argv: record.argv.map(guestStringText),
    environment: (record.environment ?? []).map(guestStringText),
    user: guestStringText(record.user),
  }));
  const byPid = new Map<number, ProcessView>();
  for (const view of views) if (!byPid.has(view.pid)) byPid.set(view.pid, view);
  return {
    processes: views,
    byPid,
    listeners: groupByPid(sockets, (socket) => socket.protocol !== 'unix' && isListening(socket)),
    connections: groupByPid(sockets, (socket) => socket.protocol !== 'unix' && !isListening(socket)),
    system,
    ancestors(view, limit = 64) {
      const found: ProcessView[] = [];
      const seen = new Set<number>([view.pid]);
      let current = byPid.get(view.ppid);
      while (current && found.length < limit && !seen.has(current.pid)) {
        found.push(current);
        seen.add(current.pid);
        current = byPid.get(current.ppid);
      }
      return found;
    },
  };
}
