import { access } from 'node:fs/promises';
import { homedir, hostname, userInfo } from 'node:os';
import { basename, join } from 'node:path';
import type {
  AppInfo,
  ArtifactView,
  CaptureDiff,
  CaptureFacts,
  SystemFacts,
  CaptureOverview,
  ExportFormat,
  ExportResult,
  Finding,
  ProcessDetailRecord,
  ProcessRow,
  ProcessWindow,
  ProcessWindowQuery,
  SocketRecord,
  TransportKind,
  TriageRecord,
  TriageState,
} from '../preload/api';
import { appVersion, productName } from './app/app-version';
import { createCaptureService, type CaptureService } from './captures/capture-service';
import { createEventBus, type EventBus } from './events/event-bus';
import { WorkbenchFailure } from './errors';
import { createJobRunner, type JobRunner } from './jobs/job-runner';
import { createReviewQueries } from './review/review-queries';
import { systemFactsOf } from './review/system-facts';
import { createRecentCaptures, type RecentCaptures } from './storage/recent-captures';
import { createWorkstationKeyStore, type WorkstationKeyStore } from './storage/workstation-key';
import { createHostsService, type HostsService, type HostsServiceDeps } from './sessions/hosts-service';
import { createCaptureSessionService, type CaptureSessionService } from './capture-session/capture-session-service';
import type { LocalToolkit } from './capture-session/host-toolkit';
import { buildLocalToolkit } from './capture-session/local-toolkit';
import { createSshCaptureHost } from './capture-session/ssh-capture-host';

/** What the adapters provide to the services. */
export interface ServiceDependencies {
  readonly appDataDir: string;
  /** The folder holding `helper/` and `samples/` (the repo's resources/, or the packaged copy). */
  readonly resourcesDir: string;
  readonly transport: TransportKind;
  /** A native "open capture" dialog; absent in web mode and the CLI. */
  readonly pickCapturePath?: () => Promise<string | null>;
  readonly captures?: CaptureService;
  /** A native "save report" dialog; absent in web mode, where exports come back as downloads. */
  readonly pickExportPath?: (suggestedName: string) => Promise<string | null>;
  /** The capture named on the command line at launch (`captureFromArgv`). */
  readonly launchCapturePath?: string | null;
  /** The home holding `.ssh/` (config, known_hosts, keys); tests pass a temp folder. Default: the user's. */
  readonly homeDir?: string;
  /** Overrides for the hosts service: non-interactive prompts (CLI), timeouts and reconnect (tests). */
  readonly hosts?: Partial<Pick<HostsServiceDeps, 'prompts' | 'promptTimeoutMs' | 'reconnect' | 'helperJob' | 'localUser'>>;
  /** The in-guest toolkit captures upload; default: built (or found in the cache) on this machine. */
  readonly toolkit?: () => Promise<LocalToolkit>;
  /** Where captures are written; default `<appData>/cases/`. */
  readonly caseDir?: string;
}

/** App-level facts and adapter-provided actions. */
export interface AppService {
  info(): Promise<AppInfo>;
  sampleCapturePath(): Promise<string>;
  pickCapturePath(): Promise<string | null>;
}

/** Opening captures as jobs, remembering them in the recent list. */
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
  sockets(handle: string): Promise<readonly SocketRecord[]>;
  triage(handle: string): Promise<TriageRecord>;
  setTriage(handle: string, change: { readonly findingId: string; readonly state: TriageState; readonly note: string }): Promise<TriageRecord>;
  compare(before: string, after: string): Promise<CaptureDiff>;
  exportReport(handle: string, format: ExportFormat): Promise<ExportResult>;
  readArtifact(handle: string, path: string, offset: number): Promise<ArtifactView>;
}

/** Hosts, connections, prompts and helper jobs (main/sessions/hosts-service.ts). */
export type HostService = HostsService;

/** Every service the contract reaches, built once per process. */
export interface WorkbenchServices {
  readonly app: AppService;
  readonly jobs: JobRunner;
  readonly recent: RecentCaptures;
  readonly review: ReviewService;
  readonly hosts: HostService;
  /** Captures of VMs through live clones (Diagnostics, `civic collect`). */
  readonly capture: CaptureSessionService;
  /** The workstation's Ed25519 key that signs captures (Settings shows it). */
  readonly workstationKey: WorkstationKeyStore;
  readonly events: EventBus;
  shutdown(): Promise<void>;
}

/** The sample capture's file name inside resources/samples/. */
export const sampleCaptureFile = 'sample.civic';

/**
 * Builds the services. No `electron` import anywhere below: every tier of tests runs them under Node,
 * and the web mode and CLI use them as they are.
 */
export function createWorkbenchServices(deps: ServiceDependencies): WorkbenchServices {
  const events = createEventBus();
  const jobs = createJobRunner((job) => events.emit('jobProgress', { job }));
  const recent = createRecentCaptures(deps.appDataDir);
  const workstationKey = createWorkstationKeyStore(deps.appDataDir);
  const captures = deps.captures ?? createCaptureService();
  const reviewQueries = createReviewQueries({
    captures,
    appDataDir: deps.appDataDir,
    ...(deps.pickExportPath ? { pickExportPath: deps.pickExportPath } : {}),
  });

  const app: AppService = {
    async info() {
      return {
        name: productName,
        version: appVersion,
        transport: deps.transport,
        platform: process.platform,
        hasNativeDialogs: deps.pickCapturePath !== undefined,
      };
    },
    async sampleCapturePath() {
      const path = join(deps.resourcesDir, 'samples', sampleCaptureFile);
      try {
        await access(path);
      } catch {
        throw new WorkbenchFailure('NOT_FOUND', 'The sample capture is missing from this installation.', {
          subject: path,
          hint: 'Reinstall Civic Workbench, or open a capture of your own.',
        });
      }
      return path;
    },
    async pickCapturePath() {
      if (!deps.pickCapturePath) {
        throw new WorkbenchFailure('NOT_SUPPORTED', 'There is no file dialog in this mode.', {
          hint: 'Type the capture path, or drop the .civic file on the window.',
        });
      }
      return deps.pickCapturePath();
    },
  };

  const review: ReviewService = {
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
    sockets: async (handle) => reviewQueries.sockets(handle),
    triage: (handle) => reviewQueries.triage(handle),
    setTriage: (handle, change) => reviewQueries.setTriage(handle, change),
    compare: async (before, after) => reviewQueries.compare(before, after),
    exportReport: (handle, format) => reviewQueries.exportReport(handle, format),
    readArtifact: (handle, path, offset) => reviewQueries.readArtifact(handle, path, offset),
  };

  const homeDir = deps.homeDir ?? homedir();
  const hosts: HostService = createHostsService({
    homeDir,
    localUser: deps.hosts?.localUser ?? userInfo().username,
    dataDir: deps.appDataDir,
    helperRoot: join(deps.resourcesDir, 'helper'),
    jobs,
    events,
    ...(process.env['SSH_AUTH_SOCK'] ? { agentSocket: process.env['SSH_AUTH_SOCK'] } : {}),
    ...deps.hosts,
  });

  const capture = createCaptureSessionService({
    jobs,
    host: createSshCaptureHost({ ssh: hosts.ssh, helper: hosts.helper, listedVm: (hostId, vmId) => hosts.listedVm(hostId, vmId) }),
    options: {
      caseDir: deps.caseDir ?? join(deps.appDataDir, 'cases'),
      actor: `${deps.hosts?.localUser ?? userInfo().username}@${hostname()}`,
      toolVersion: appVersion,
      toolkit: deps.toolkit ?? ((onBuilding) => buildLocalToolkit(deps.resourcesDir, onBuilding === undefined ? {} : { onBuilding })),
      signer: () => workstationKey.signer(),
    },
  });

  return {
    app,
    jobs,
    recent,
    review,
    hosts,
    capture,
    workstationKey,
    events,
    async shutdown() {
      await jobs.shutdown();
      hosts.close();
    },
  };
}
