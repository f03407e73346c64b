import { basename } from 'node:path';
import type {
  ArtifactView,
  CaptureDiff,
  CaptureFacts,
  CaptureOverview,
  ExportFormat,
  ExportResult,
  Finding,
  ProcessDetailRecord,
  ProcessRow,
  ProcessWindow,
  ProcessWindowQuery,
  SocketRecord,
  SystemFacts,
  TriageRecord,
  TriageState,
  ExperimentReport,
} from '../../preload/api';
import type { CaptureService } from '../captures/capture-service';
import type { JobRunner } from '../jobs/job-runner';
import type { RecentCaptures } from '../storage/recent-captures';
import { createReviewQueries } from './review-queries';
import { systemFactsOf } from './system-facts';

/** Opening captures as jobs, remembering them in the recent list, and the queries of Review over them. */
export interface ReviewService {
  open(path: string): Promise<CaptureOverview>;
  close(handle: string): Promise<null>;
  processes(handle: string): Promise<readonly ProcessRow[]>;
  findings(handle: string): Promise<readonly Finding[]>;
  launchCapturePath(): Promise<string | null>;
  queryProcesses(query: ProcessWindowQuery): Promise<ProcessWindow>;
  processDetail(handle: string, pid: number, revealSecrets: boolean, record?: number): Promise<ProcessDetailRecord>;
  facts(handle: string): Promise<CaptureFacts>;
  systemFacts(handle: string): Promise<SystemFacts | null>;
  /** The experiment the capture holds, or null for a plain capture. */
  experiment(handle: string): Promise<ExperimentReport | null>;
  sockets(handle: string): Promise<readonly SocketRecord[]>;
  triage(handle: string): Promise<TriageRecord>;
  setTriage(handle: string, change: { readonly findingId: string; readonly state: TriageState; readonly note: string }): Promise<TriageRecord>;
  compare(before: string, after: string): Promise<CaptureDiff>;
  exportReport(handle: string, format: ExportFormat): Promise<ExportResult>;
  readArtifact(handle: string, path: string, offset: number): Promise<ArtifactView>;
}

/** What the review service is built from. */
export interface ReviewServiceDeps {
  readonly captures: CaptureService;
  readonly jobs: JobRunner;
  readonly recent: RecentCaptures;
  readonly appDataDir: string;
  /** A native "save report" dialog; absent in web mode, where exports come back as downloads. */
  readonly pickExportPath?: (suggestedName: string) => Promise<string | null>;
  /** The capture named on the command line at launch. */
  readonly launchCapturePath?: string | null;
}

/** Creates the review service: opens captures as jobs (then remembers them) and answers Review's queries. */
export function createReviewService(deps: ReviewServiceDeps): ReviewService {
  const { captures, jobs, recent } = deps;
  const reviewQueries = createReviewQueries({
    captures,
    appDataDir: deps.appDataDir,
    ...(deps.pickExportPath ? { pickExportPath: deps.pickExportPath } : {}),
  });
  return {
    async open(path) {
      const overview = await jobs.run('open-capture', `Open ${basename(path)}`, async (context) => {
        const opened = await captures.open(path, { signal: context.signal, onProgress: (value, step) => context.progress(value, step) });
        reviewQueries.prepare(opened.handle);
        return opened;
      });
      await recent.add({ path: overview.path, title: overview.title, openedAt: new Date().toISOString() });
      return overview;
    },
    async close(handle) {
      captures.close(handle);
      return null;
    },
    async processes(handle) {
      return captures.processes(handle);
    },
    async findings(handle) {
      return captures.findings(handle);
    },
    launchCapturePath: async () => deps.launchCapturePath ?? null,
    queryProcesses: async (query) => reviewQueries.queryProcesses(query),
    processDetail: async (handle, pid, revealSecrets, record) => reviewQueries.processDetail(handle, pid, revealSecrets, record),
    facts: async (handle) => reviewQueries.facts(handle),
    systemFacts: async (handle) => systemFactsOf(captures.capture(handle)),
    experiment: async (handle) => captures.capture(handle).experiment?.report ?? null,
    sockets: async (handle) => reviewQueries.sockets(handle),
    triage: (handle) => reviewQueries.triage(handle),
    setTriage: (handle, change) => reviewQueries.setTriage(handle, change),
    compare: async (before, after) => reviewQueries.compare(before, after),
    exportReport: (handle, format) => reviewQueries.exportReport(handle, format),
    readArtifact: (handle, path, offset) => reviewQueries.readArtifact(handle, path, offset),
  };
}
