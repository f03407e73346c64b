import { homedir, hostname, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { NODE_EXPORTER_FILE } from './toolkit/build-toolkit';
import type { TransportKind } from '../preload/api';
import { createAppService, type AppService } from './app/app-service';
import { appVersion } from './app/app-version';
import { createCaptureService, type CaptureService } from './captures/capture-service';
import { createEventBus, type EventBus } from './events/event-bus';
import { createJobRunner, type JobRunner } from './jobs/job-runner';
import { createReviewService, type ReviewService } from './review/review-service';
import { createRecentCaptures, type RecentCaptures } from './storage/recent-captures';
import { createWorkstationKeyStore, type WorkstationKeyStore } from './storage/workstation-key';
import { createHostsService, type HostsService, type HostsServiceDeps } from './sessions/hosts-service';
import { createCaptureSessionService, type CaptureSessionService } from './capture-session/capture-session-service';
import type { LocalToolkit } from './capture-session/host-toolkit';
import { buildLocalToolkit } from './capture-session/local-toolkit';
import { createSshCaptureHost } from './capture-session/ssh-capture-host';
import { uploadToolkit } from './capture-session/host-toolkit';
import { createTwinService, type TwinService } from './twin/twin-service';
import { createExperimentService, type ExperimentService } from './twin/experiment-service';

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

export type { AppService } from './app/app-service';
export type { ReviewService } from './review/review-service';

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
  /** Twins: clones kept alive under a lease the host enforces (Hosts, Jobs, `civic twin`). */
  readonly twins: TwinService;
  /** Experiments on twins: live tuning, monitoring agents (Experiments, `civic twin tune|agents`). */
  readonly experiments: ExperimentService;
  readonly events: EventBus;
  shutdown(): Promise<void>;
}

/** The sample capture's file name inside resources/samples/. */
export { sampleCaptureFile } from './app/app-service';

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
  const app = createAppService({
    resourcesDir: deps.resourcesDir,
    transport: deps.transport,
    ...(deps.pickCapturePath ? { pickCapturePath: deps.pickCapturePath } : {}),
  });
  const review = createReviewService({
    captures,
    jobs,
    recent,
    appDataDir: deps.appDataDir,
    ...(deps.pickExportPath ? { pickExportPath: deps.pickExportPath } : {}),
    ...(deps.launchCapturePath === undefined ? {} : { launchCapturePath: deps.launchCapturePath }),
  });

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

  const hostAlias = async (hostId: string): Promise<string> => (await hosts.ssh.hosts.get(hostId)).alias;
  const twins = createTwinService({
    jobs,
    helper: hosts.helper,
    connection: (hostId, signal) => hosts.ssh.connect(hostId, signal),
    hostAlias,
    listedVm: (hostId, vmId) => hosts.listedVm(hostId, vmId),
    emit: (event) => events.emit('twinsChanged', event),
  });
  const localToolkit = deps.toolkit ?? ((onBuilding?: () => void) => buildLocalToolkit(deps.resourcesDir, onBuilding === undefined ? {} : { onBuilding }));
  const experiments = createExperimentService({
    jobs,
    twins,
    connection: (hostId, signal) => hosts.ssh.connect(hostId, signal),
    hostAlias,
    listedVm: (hostId, vmId) => hosts.listedVm(hostId, vmId),
    async toolkitOnHost(hostId, context) {
      const toolkit = await localToolkit(() => context.progress(0.02, 'Building the in-guest toolkit on this machine (first use)'));
      const connection = await hosts.ssh.connect(hostId, context.signal);
      // node_exporter ships beside the toolkit's payload (main/toolkit/build-toolkit.ts) and goes up only for agent runs.
      const nodeExporter = { name: NODE_EXPORTER_FILE, path: join(dirname(toolkit.payloadPath), NODE_EXPORTER_FILE) };
      const upload = await uploadToolkit({ connection, run: (argv, options) => hosts.ssh.run(hostId, argv, options) }, toolkit, context.signal, [nodeExporter]);
      return { remoteDir: upload.remoteDir, nodeExporterPath: `${upload.remoteDir}/${NODE_EXPORTER_FILE}` };
    },
    caseDir: deps.caseDir ?? join(deps.appDataDir, 'cases'),
    actor: `${deps.hosts?.localUser ?? userInfo().username}@${hostname()}`,
    toolVersion: appVersion,
    signer: () => workstationKey.signer(),
  });

  return {
    app,
    jobs,
    recent,
    review,
    hosts,
    capture,
    workstationKey,
    twins,
    experiments,
    events,
    async shutdown() {
      await jobs.shutdown();
      // Renewing stops; each twin then ends at its lease on the host, as it would if the app crashed.
      await twins.close();
      hosts.close();
    },
  };
}
