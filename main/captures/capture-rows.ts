import type { Finding, ProcessRow, SocketRecord } from '../../preload/api';
import type { StoredFinding, StoredProcess, StoredSocket } from '../bundle/bundle-schema';
import { safeText, toGuestText } from '../bundle/guest-text';

/** One socket of a capture, made safe to show. */
export type SocketRow = SocketRecord;

/** Rule ids of the findings about each pid. */
export function flagsByPid(findings: readonly StoredFinding[]): Map<number, string[]> {
  const flags = new Map<number, string[]>();
  for (const finding of findings) {
    for (const pid of finding.pids) {
      const list = flags.get(pid) ?? [];
      if (!list.includes(finding.rule)) list.push(finding.rule);
      flags.set(pid, list);
    }
  }
  return flags;
}

/** A stored process as the Review view shows it: every guest string escaped and capped. */
export function toProcessRow(process: StoredProcess, flags: readonly string[], record: number): ProcessRow {
  return {
    record,
    pid: process.pid,
    ppid: process.ppid,
    name: toGuestText(process.name),
    user: safeText(process.user, 256),
    uid: process.uid,
    state: safeText(process.state, 16),
    exe: toGuestText(process.exe ?? ''),
    exeDeleted: process.exeDeleted,
    argv: process.argv.map((argument) => toGuestText(argument)),
    startedAt: process.startedAt,
    threads: process.threads,
    rssKiB: process.rssKiB,
    cpuSeconds: process.cpuSeconds,
    flags,
  };
}

// Findings quote guest data in their detail, so every text field is escaped; only the detail keeps
// its line breaks.
/** A stored finding as the Review view shows it. */
export function toFinding(finding: StoredFinding): Finding {
  return {
    id: safeText(finding.id, 256),
    rule: safeText(finding.rule, 256),
    severity: finding.severity,
    title: safeText(finding.title, 1024),
    detail: toGuestText(finding.detail, { multiline: true }),
    pids: finding.pids,
    falsePositives: safeText(finding.falsePositives),
    nextStep: safeText(finding.nextStep),
  };
}

/** A stored socket made safe to show. */
export function toSocketRow(socket: StoredSocket): SocketRow {
  return {
    protocol: socket.protocol,
    state: safeText(socket.state, 32),
    localAddress: toGuestText(socket.localAddress, { maxChars: 512 }),
    localPort: socket.localPort,
    remoteAddress: socket.remoteAddress === null ? null : toGuestText(socket.remoteAddress, { maxChars: 512 }),
    remotePort: socket.remotePort,
    pid: socket.pid,
  };
}
