import type {
  ArtifactView,
  CaptureDiff,
  CaptureFacts,
  ExportFormat,
  ExportResult,
  ProcessDetailRecord,
  ProcessWindow,
  ProcessWindowQuery,
  SocketRecord,
  TriageRecord,
  TriageState,
} from '../../preload/api';
import type { CaptureService, OpenCapture } from '../captures/capture-service';
import { toGuestText } from '../bundle/guest-text';
import { writeFileAtomic } from '../storage/atomic-write';
import { readArtifactHead, readArtifactWindow } from './artifact-window';
import { captureFacts } from './capture-facts';
import { compareCaptures } from './capture-diff';
import { metricsSeries, type MetricSeries } from './metrics-series';
import { processDetail } from './process-detail';
import { buildProcessIndex, type ProcessIndex } from './process-index';
import { createProcessQueryCache, queryProcessWindow, type ProcessQueryCache } from './process-query';
import { renderReport } from './report-export';
import { loadTriage, saveTriage, triageLocations } from './triage-store';

/** What the review queries need from their surroundings. */
export interface ReviewQueryDependencies {
  readonly captures: CaptureService;
  readonly appDataDir: string;
  /** A native save dialog; absent in web mode, where exports come back as downloads. */
  readonly pickExportPath?: (suggestedName: string) => Promise<string | null>;
  readonly now?: () => Date;
}

/** The review of open captures: process windows, detail, facts, triage, diff, export, artifacts. */
export interface ReviewQueries {
  /**
   * Builds a capture's index now (part of opening), so the first window answers at once, and starts
   * loading its facts (metrics are read from the capture in the background).
   */
  prepare(handle: string): void;
  queryProcesses(query: ProcessWindowQuery): ProcessWindow;
  /** One process's detail; `record` picks among processes sharing the pid. */
  processDetail(handle: string, pid: number, revealSecrets: boolean, record?: number): ProcessDetailRecord;
  facts(handle: string): Promise<CaptureFacts>;
  sockets(handle: string): SocketRecord[];
  triage(handle: string): Promise<TriageRecord>;
  setTriage(handle: string, change: { readonly findingId: string; readonly state: TriageState; readonly note: string }): Promise<TriageRecord>;
  compare(before: string, after: string): CaptureDiff;
  exportReport(handle: string, format: ExportFormat): Promise<ExportResult>;
  readArtifact(handle: string, path: string, offset: number): Promise<ArtifactView>;
}

interface Derived {
  readonly index: ProcessIndex;
  readonly cache: ProcessQueryCache;
  readonly sockets: SocketRecord[];
  facts?: Promise<CaptureFacts>;
}

/** The view the process table opens with (the renderer's default): every process as a tree, by pid. */
export const openingView = {
  search: '',
  regex: false,
  filters: {},
  sort: { key: 'pid', descending: false },
  mode: 'tree',
  collapsed: [],
} as const satisfies Omit<ProcessWindowQuery, 'handle' | 'offset' | 'limit'>;

/** Largest metrics artifact parsed for the charts. */
export const MAX_METRICS_BYTES = 16 * 1024 * 1024;

// Metrics are optional evidence: one that cannot be read leaves the charts empty, and its integrity
// problem (if any) is already in the overview.
async function loadMetrics(capture: OpenCapture): Promise<MetricSeries[]> {
  const failed = new Set(capture.overview.integrity.problems.map((problem) => problem.subject));
  const series: MetricSeries[] = [];
  for (const artifact of capture.overview.provenance.artifacts) {
    if (artifact.role !== 'metrics' || failed.has(artifact.path)) continue;
    try {
      const bytes = await readArtifactHead(capture.overview.path, artifact, MAX_METRICS_BYTES);
      series.push(...metricsSeries(new TextDecoder().decode(bytes)));
    } catch {
      continue;
    }
  }
  return series;
}

/** Creates the review queries; derived indexes are built on first use and dropped when a capture closes. */
export function createReviewQueries(deps: ReviewQueryDependencies): ReviewQueries {
  const derived = new Map<string, Derived>();
  deps.captures.onClose((handle) => derived.delete(handle));
  const now = deps.now ?? (() => new Date());

  const derive = (handle: string): { capture: OpenCapture; derived: Derived } => {
    const capture = deps.captures.capture(handle);
    let entry = derived.get(handle);
    if (!entry) {
      const names = new Map(capture.processes.map((process) => [process.pid, process.name]));
      const sockets = capture.sockets.map((socket) => {
        const processName = socket.pid === null ? undefined : names.get(socket.pid);
        return processName ? { ...socket, processName } : socket;
      });
      const cgroups = capture.stored.map((process) => (process.cgroup === undefined ? '' : toGuestText(process.cgroup, { maxChars: 1024 }).text));
      entry = { index: buildProcessIndex(capture.processes, sockets, cgroups), cache: createProcessQueryCache(), sockets };
      derived.set(handle, entry);
    }
    return { capture, derived: entry };
  };

  const facts = (handle: string): Promise<CaptureFacts> => {
    const { capture, derived: entry } = derive(handle);
    const hasCgroups = entry.index.cgroups.some((cgroup) => cgroup !== '');
    entry.facts ??= loadMetrics(capture).then((metrics) =>
      captureFacts(capture.processes, entry.sockets, capture.overview.provenance.endedAt, metrics, hasCgroups),
    );
    return entry.facts;
  };

  const locations = (capture: OpenCapture) =>
    triageLocations(capture.overview.path, capture.overview.provenance.captureId, deps.appDataDir);

  return {
    prepare(handle) {
      const { derived: entry } = derive(handle);
      // The table opens on the whole tree by pid: answer that once now, so its first window is a slice.
      queryProcessWindow(entry.index, entry.cache, { ...openingView, handle, offset: 0, limit: 1 });
      // A failure here is reported to whoever asks for the facts; nobody waits on this one.
      facts(handle).catch(() => undefined);
    },
    queryProcesses(query) {
      const { derived: entry } = derive(query.handle);
      return queryProcessWindow(entry.index, entry.cache, query);
    },
    processDetail(handle, pid, revealSecrets, record) {
      const { capture, derived: entry } = derive(handle);
      return processDetail(
        entry.index,
        capture.stored,
        { sockets: entry.sockets, findings: capture.findings, artifacts: capture.overview.provenance.artifacts },
        pid,
        revealSecrets,
        record,
      );
    },
    facts,
    sockets(handle) {
      return derive(handle).derived.sockets;
    },
    async triage(handle) {
      return loadTriage(locations(deps.captures.capture(handle)));
    },
    async setTriage(handle, change) {
      const capture = deps.captures.capture(handle);
      return saveTriage(locations(capture), capture.overview.provenance.captureId, change, now());
    },
    compare(before, after) {
      const side = (handle: string) => {
        const { capture, derived: entry } = derive(handle);
        const kernelModules = capture.system ? capture.system.modules.map((module) => toGuestText(module.name, { maxChars: 256 })) : null;
        return { handle, title: capture.overview.title, processes: capture.processes, sockets: entry.sockets, findings: capture.findings, kernelModules };
      };
      return compareCaptures(side(before), side(after));
    },
    async exportReport(handle, format) {
      const { capture, derived: entry } = derive(handle);
      const triage = await loadTriage(locations(capture));
      const report = renderReport(
        { overview: capture.overview, processes: capture.processes, findings: capture.findings, sockets: entry.sockets, triage: triage.entries, generatedAt: now().toISOString() },
        format,
      );
      if (!deps.pickExportPath) return report;
      const path = await deps.pickExportPath(report.fileName);
      if (path === null) return { fileName: report.fileName, mediaType: report.mediaType, cancelled: true };
      await writeFileAtomic(path, report.content, 0o644);
      return { fileName: report.fileName, mediaType: report.mediaType, savedTo: path };
    },
    async readArtifact(handle, path, offset) {
      const capture = deps.captures.capture(handle);
      return readArtifactWindow(capture.overview.path, capture.overview.provenance.artifacts, path, offset);
    },
  };
}
