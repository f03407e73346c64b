import type { ArtifactRecord, Finding, GuestText, ProcessDetailRecord, SocketRecord } from '../../preload/api';
import type { StoredProcess } from '../bundle/bundle-schema';
import { WorkbenchFailure } from '../errors';
import { toGuestText } from '../bundle/guest-text';
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

/** The optional collector fields of a stored process as labelled, escaped text, in a fixed order. */
export function collectorFields(stored: StoredProcess | undefined): { label: string; value: GuestText }[] {
  if (!stored) return [];
  const fields: { label: string; value: GuestText }[] = [];
  const add = (label: string, value: string): void => {
    fields.push({ label, value: { text: value } });
  };
  if (stored.cgroup !== undefined) fields.push({ label: 'cgroup', value: toGuestText(stored.cgroup, { maxChars: 1024 }) });
  if (stored.root !== undefined && stored.root !== null) fields.push({ label: 'Root', value: toGuestText(stored.root, { maxChars: 1024 }) });
  if (stored.uids) add('UIDs (real, effective, saved, fs)', stored.uids.join(', '));
  if (stored.gids) add('GIDs (real, effective, saved, fs)', stored.gids.join(', '));
  if (stored.vszKiB !== undefined) add('Virtual size', `${stored.vszKiB} KiB`);
  if (stored.fdCount !== undefined) add('Open descriptors', String(stored.fdCount));
  if (stored.tracerPid !== undefined) add('Traced by', stored.tracerPid === 0 ? 'nobody' : `pid ${stored.tracerPid}`);
  if (stored.namespaces) {
    const entries = Object.entries(stored.namespaces).filter((entry): entry is [string, number] => entry[1] !== undefined);
    if (entries.length > 0) add('Namespaces', entries.map(([kind, inode]) => `${kind}:${inode}`).join(' '));
  }
  if (stored.argvTruncated) add('Arguments', 'cut by the collector');
  if (stored.environmentTruncated) add('Environment', 'cut by the collector');
  return fields;
}

/**
 * Everything the capture holds about one process; secrets in environment and argv hidden unless `revealSecrets`.
 *
 * `record` (the row's position) picks which process when several share the pid; without it the first
 * one is meant. A record whose pid is not `pid` is NOT_FOUND, so a stale selection never shows another
 * process.
 */
export function processDetail(
  index: ProcessIndex,
  stored: readonly StoredProcess[],
  context: { readonly sockets: readonly SocketRecord[]; readonly findings: readonly Finding[]; readonly artifacts: readonly ArtifactRecord[] },
  pid: number,
  revealSecrets: boolean,
  record?: number,
): ProcessDetailRecord {
  const row = record === undefined ? index.indexByPid.get(pid) : index.rows[record]?.pid === pid ? record : undefined;
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
    fields: collectorFields(original),
    executableMappings:
      original?.executableAnonymousMappings?.map((mapping) => ({ range: mapping.range, permissions: mapping.permissions, name: toGuestText(mapping.name, { maxChars: 1024 }) })) ?? null,
    secretsRevealed: revealSecrets,
    sockets: context.sockets.filter((socket) => socket.pid === pid),
    findings: context.findings.filter((finding) => finding.pids.includes(pid)),
    notCollected: PER_PROCESS_EVIDENCE.filter((evidence) => {
      if (evidence.kind === 'anonymous executable mappings') return original?.executableAnonymousMappings === undefined;
      return !evidence.role || !collectedRoles.has(evidence.role);
    }).map((evidence) => evidence.kind),
    artifacts,
  };
}
