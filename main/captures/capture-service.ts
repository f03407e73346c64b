import { randomUUID } from 'node:crypto';
import type { ExperimentDocument } from '../bundle/experiment-schema';
import type { CaptureOverview, Finding, IntegrityReport, ProcessRow, Provenance, WorkbenchError } from '../../preload/api';
import { openBundle, type BundleDocument, type DocumentRole, type OpenedBundle } from '../bundle/bundle-reader';
import type { StoredProcess, SystemDocument } from '../bundle/bundle-schema';
import { WorkbenchFailure, throwIfAborted, workbenchError } from '../errors';
import { flagsByPid, toFinding, toProcessRow, toSocketRow, type SocketRow } from './capture-rows';
import { safeText } from '../bundle/guest-text';

/** Options of `CaptureService.open`. */
export interface OpenCaptureOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (value: number, step: string) => void;
}

/** Opens captures, verifies them and serves their contents by handle. */
export interface CaptureService {
  /**
   * Opens and verifies a capture (folder or `.civic`) and loads its structured artifacts.
   *
   * A capture whose artifacts fail verification still opens, with the failures in `integrity`;
   * one whose manifest is missing or invalid does not.
   */
  open(path: string, options?: OpenCaptureOptions): Promise<CaptureOverview>;
  close(handle: string): void;
  overview(handle: string): CaptureOverview;
  processes(handle: string): ProcessRow[];
  findings(handle: string): Finding[];
  sockets(handle: string): SocketRow[];
  /** Everything loaded for an open capture, for the review queries. */
  capture(handle: string): OpenCapture;
  /** Called with the handle whenever a capture closes, so derived state can be dropped. */
  onClose(listener: (handle: string) => void): void;
}

/** An open capture: display rows, and the stored processes for the fields rows do not carry. */
export interface OpenCapture {
  readonly overview: CaptureOverview;
  readonly processes: ProcessRow[];
  /** Same order as `processes`. */
  readonly stored: readonly StoredProcess[];
  readonly findings: Finding[];
  readonly sockets: SocketRow[];
  /** Kernel, modules, mounts and persistence, when the capture collected them. */
  readonly system: SystemDocument | null;
  /** The experiment a twin ran (tuning, agents), when this capture is one. */
  readonly experiment: ExperimentDocument | null;
}

// Display copies: the manifest comes from the host, which is trusted more than the guest but not
// enough to print its strings to a terminal unescaped.
function toProvenance(bundle: OpenedBundle): Provenance {
  const { manifest } = bundle;
  return {
    schemaVersion: manifest.schemaVersion,
    captureId: safeText(manifest.captureId, 256),
    toolVersion: safeText(manifest.toolVersion, 256),
    helperVersion: safeText(manifest.helperVersion, 256),
    host: { name: safeText(manifest.host.name, 256), hostKeySha256: manifest.host.hostKeySha256 },
    vm: { name: safeText(manifest.vm.name, 256), uuid: manifest.vm.uuid },
    cloneId: safeText(manifest.cloneId, 256),
    startedAt: manifest.startedAt,
    endedAt: manifest.endedAt,
    commands: manifest.commands.map((command) => ({ ...command, argv: command.argv.map((argument) => safeText(argument, 1024)) })),
    artifacts: manifest.artifacts,
    custody: bundle.custody.map((entry) => ({ ...entry, actor: safeText(entry.actor, 256), subject: safeText(entry.subject, 1024) })),
  };
}

// Enough pids to act on in one message; the count says how many more there are.
const DUPLICATE_PIDS_NAMED = 20;

/** A warning naming the pids that more than one process record carries, or null when every pid is unique. */
export function duplicatePidWarning(processes: readonly StoredProcess[]): WorkbenchError | null {
  const seen = new Map<number, number>();
  for (const process of processes) seen.set(process.pid, (seen.get(process.pid) ?? 0) + 1);
  const repeated = [...seen].filter(([, times]) => times > 1);
  if (repeated.length === 0) return null;
  const named = repeated.slice(0, DUPLICATE_PIDS_NAMED).map(([pid, times]) => `${pid} (${times} processes)`);
  const more = repeated.length > DUPLICATE_PIDS_NAMED ? `, and ${repeated.length - DUPLICATE_PIDS_NAMED} more` : '';
  return workbenchError(
    'BUNDLE_DUPLICATE_PID',
    `${repeated.length === 1 ? 'A pid is' : `${repeated.length} pids are`} shared by several processes: pid ${named.join(', ')}${more}. Each process is listed and opens on its own.`,
    'artifacts/processes.json',
  );
}

/** Reads one structured artifact unless it already failed; a refusal becomes an integrity problem. */
async function loadDocument<R extends DocumentRole>(
  bundle: OpenedBundle,
  role: R,
  problems: WorkbenchError[],
): Promise<BundleDocument<R> | undefined> {
  const artifact = bundle.artifactFor(role);
  if (!artifact || bundle.failedArtifacts.has(artifact.path)) return undefined;
  try {
    return await bundle.readDocument(role);
  } catch (error) {
    if (error instanceof WorkbenchFailure && error.code.startsWith('BUNDLE_')) {
      problems.push(error.error);
      return undefined;
    }
    throw error;
  }
}

/** Creates the capture service; handles are valid until closed or the app ends. */
export function createCaptureService(): CaptureService {
  const captures = new Map<string, OpenCapture>();
  const closeListeners: ((handle: string) => void)[] = [];

  const get = (handle: string): OpenCapture => {
    const capture = captures.get(handle);
    if (!capture) throw new WorkbenchFailure('NOT_FOUND', 'That capture is not open.', { subject: handle });
    return capture;
  };

  return {
    async open(path, options = {}) {
      const { signal, onProgress } = options;
      const bundle = await openBundle(path, {
        ...(signal ? { signal } : {}),
        onProgress: (value, step) => onProgress?.(value * 0.9, step),
      });
      try {
        const problems: WorkbenchError[] = [...bundle.integrity.problems];
        onProgress?.(0.9, 'Loading processes and findings');
        throwIfAborted(signal);
        const processes = await loadDocument(bundle, 'processes', problems);
        throwIfAborted(signal);
        const findings = await loadDocument(bundle, 'findings', problems);
        throwIfAborted(signal);
        const sockets = await loadDocument(bundle, 'sockets', problems);
        throwIfAborted(signal);
        const system = await loadDocument(bundle, 'system', problems);
        throwIfAborted(signal);
        const experiment = await loadDocument(bundle, 'experiment', problems);
        throwIfAborted(signal);

        const flags = flagsByPid(findings?.findings ?? []);
        const processRows = (processes?.processes ?? []).map((process, record) => toProcessRow(process, flags.get(process.pid) ?? [], record));
        const findingRows = (findings?.findings ?? []).map(toFinding);
        const duplicates = duplicatePidWarning(processes?.processes ?? []);
        const warnings = [...(bundle.integrity.warnings ?? []), ...(duplicates === null ? [] : [duplicates])];
        const integrity: IntegrityReport = { ...bundle.integrity, verified: problems.length === 0, problems, warnings };
        const provenance = toProvenance(bundle);
        const handle = randomUUID();
        const overview: CaptureOverview = {
          handle,
          path,
          title: `${provenance.vm.name} on ${provenance.host.name}, ${provenance.startedAt}`,
          provenance,
          integrity,
          processCount: processRows.length,
          findingCount: findingRows.length,
        };
        captures.set(handle, {
          overview,
          processes: processRows,
          stored: processes?.processes ?? [],
          findings: findingRows,
          sockets: (sockets?.sockets ?? []).map(toSocketRow),
          system: system ?? null,
          experiment: experiment ?? null,
        });
        onProgress?.(1, integrity.verified ? 'Verified' : 'Opened with integrity problems');
        return overview;
      } finally {
        await bundle.close();
      }
    },
    close(handle) {
      get(handle);
      captures.delete(handle);
      for (const listener of closeListeners) listener(handle);
    },
    capture: (handle) => get(handle),
    onClose(listener) {
      closeListeners.push(listener);
    },
    overview: (handle) => get(handle).overview,
    processes: (handle) => get(handle).processes,
    findings: (handle) => get(handle).findings,
    sockets: (handle) => get(handle).sockets,
  };
}
