import type { ArtifactRecord, Finding, GuestText, ProcessDetailRecord, SocketRecord } from '../../preload/api';
import type { StoredProcess } from '../bundle/bundle-schema';
import { WorkbenchFailure } from '../errors';
import { toGuestText } from '../captures/guest-text';
import { ancestorsOf, type ProcessIndex } from './process-index';
import { environmentEntries, redactArgvTexts } from './secret-redaction';

/** Per-process evidence kinds, with the artifact role that carries each (none yet for the first two). */
export const PER_PROCESS_EVIDENCE: readonly { readonly kind: string; readonly role?: string }[] = [
  { kind: 'open files' },
  { kind: 'anonymous executable mappings' },
  { kind: 'backtraces', role: 'backtraces' },
  { kind: 'kernel stack', role: 'kernel-stacks' },
  { kind: 'syscall profile', role: 'syscalls' },
  { kind: 'core dump', role: 'core-dump' },
];

const evidenceRoles = new Set(PER_PROCESS_EVIDENCE.flatMap((evidence) => (evidence.role ? [evidence.role] : [])));

// Artifacts about one process name its pid in their path, e.g. artifacts/core/4711.core or
// artifacts/backtraces/pid-4711.txt.
function artifactsAbout(pid: number, artifacts: readonly ArtifactRecord[]): ArtifactRecord[] {
  const pattern = new RegExp(`(^|[/._-])${pid}([/._-]|$)`);
  return artifacts.filter((artifact) => artifact.role !== undefined && (evidenceRoles.has(artifact.role) || artifact.role === 'file') && pattern.test(artifact.path));
}

/** Everything the capture holds about one process; secrets in environment and argv hidden unless `revealSecrets`. */
export function processDetail(
  index: ProcessIndex,
  stored: readonly StoredProcess[],
  context: { readonly sockets: readonly SocketRecord[]; readonly findings: readonly Finding[]; readonly artifacts: readonly ArtifactRecord[] },
  pid: number,
  revealSecrets: boolean,
): ProcessDetailRecord {
  const row = index.indexByPid.get(pid);
  const process = row === undefined ? undefined : index.rows[row];
  if (row === undefined || !process) throw new WorkbenchFailure('NOT_FOUND', `There is no process ${pid} in this capture.`, { subject: String(pid) });
  const original = stored[row];
  const cwd: GuestText | null = original?.cwd ? toGuestText(original.cwd) : null;
  const artifacts = artifactsAbout(pid, context.artifacts);
  const collectedRoles = new Set(artifacts.map((artifact) => artifact.role));
  return {
    // Secret options on the command line are hidden like secret variables, until revealed.
    process: revealSecrets ? process : { ...process, argv: redactArgvTexts(process.argv) },
    ancestors: ancestorsOf(index, row).map((ancestor) => index.rows[ancestor]?.pid ?? 0),
    childCount: index.childrenOf[row]?.length ?? 0,
    cwd,
    kernelThread: original?.kernelThread ?? false,
    environment: original?.environment ? environmentEntries(original.environment, revealSecrets) : null,
    secretsRevealed: revealSecrets,
    sockets: context.sockets.filter((socket) => socket.pid === pid),
    findings: context.findings.filter((finding) => finding.pids.includes(pid)),
    notCollected: PER_PROCESS_EVIDENCE.filter((evidence) => !evidence.role || !collectedRoles.has(evidence.role)).map((evidence) => evidence.kind),
    artifacts,
  };
}
