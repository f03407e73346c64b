import type { HostSettingsStore } from '../hosts/host-settings';
import type { JobContext } from '../jobs/job-runner';
import type { SshService } from '../ssh/ssh-service';
import { deployHelper, loadHelperBundle, removeHelper, type DeployReport } from './helper-deploy';
import { helperHello } from './helper-handshake';
import { helperArgv, runHelperJob, type HelperHostAccess, type HelperJobOptions, type HelperVerb } from './helper-job';
import { helperProtocolVersion, helperVersion, type HelperHello } from './helper-messages';

/** A deploy's counts plus what the deployed helper said about itself. */
export interface HelperDeployment extends DeployReport {
  readonly hello: HelperHello;
}

/** One finished helper verb: its `result` payload and the command line it ran as. */
export interface HelperRun {
  readonly payload: unknown;
  readonly argv: readonly string[];
}

/** What the helper access is built from. */
export interface HelperAccessDeps {
  readonly ssh: SshService;
  /** The helper folder shipped with the app (resources/helper). */
  readonly helperRoot: string;
  /** Where each host's `--qmp-dir` folders are kept. */
  readonly settings: HostSettingsStore;
  readonly helperJob?: HelperJobOptions;
  /** The versions expected on the host; the app's own by default (tests drive other helpers). */
  readonly expected?: { readonly helperVersion: string; readonly protocolVersion: number };
  /**
   * Told about the first deploy of a connection (none since `forget`): the moment to look for sessions
   * an earlier run left behind. Not told about later deploys, which only re-prove the files.
   */
  readonly onFirstDeploy?: (hostId: string, helperDir: string) => void;
}

/** The one way the app reaches the helper on a host: deploy, handshake, and verbs run as jobs. */
export interface HelperAccess {
  /** Uploads what is missing or changed, proves every hash, then checks the helper's hello. */
  deploy(hostId: string, signal?: AbortSignal): Promise<HelperDeployment>;
  /** The deployed helper folder, deploying only when this connection has not deployed yet. */
  helperDir(hostId: string, signal: AbortSignal): Promise<string>;
  /** Runs one verb to its `result` as the work of `context`'s job. */
  run(hostId: string, verb: HelperVerb, args: Readonly<Record<string, unknown>>, context: JobContext): Promise<HelperRun>;
  /** Removes this app's helper folder from the host; returns the removed path. */
  remove(hostId: string, signal?: AbortSignal): Promise<string>;
  /** Drops what is known about the host's deployment (after a disconnect or an edit): the next use deploys. */
  forget(hostId: string): void;
}

/** Creates the access with its one deployment cache, shared by every feature that uses the helper. */
export function createHelperAccess(deps: HelperAccessDeps): HelperAccess {
  const { ssh } = deps;
  const expected = deps.expected ?? { helperVersion, protocolVersion: helperProtocolVersion };
  // The deployed helper folder per host; a deploy proves hashes and hello, so once per connection is enough.
  const helperDirs = new Map<string, string>();

  const deploy = async (hostId: string, signal?: AbortSignal): Promise<HelperDeployment> => {
    const connection = await ssh.connect(hostId, signal);
    const bundle = await loadHelperBundle(deps.helperRoot, expected.helperVersion);
    const report = await deployHelper(connection, bundle, signal);
    const hello = await helperHello(connection, report.remoteDir, expected, signal);
    const first = !helperDirs.has(hostId);
    helperDirs.set(hostId, report.remoteDir);
    if (first) deps.onFirstDeploy?.(hostId, report.remoteDir);
    return { ...report, hello };
  };
  const helperDir = async (hostId: string, signal: AbortSignal): Promise<string> => helperDirs.get(hostId) ?? (await deploy(hostId, signal)).remoteDir;
  const host: HelperHostAccess = {
    runPrivileged: (hostId, argv, options) => ssh.runPrivileged(hostId, argv, options),
    helperDir,
    async reconnect(hostId, signal) {
      await ssh.connect(hostId, signal);
    },
  };

  return {
    deploy,
    helperDir,
    async run(hostId, verb, args, context) {
      const target = await ssh.hosts.get(hostId);
      const { qmpDirs } = await deps.settings.get(hostId);
      const request = { hostId, hostLabel: `${target.user}@${target.hostName}:${target.port}`, verb, args, qmpDirs };
      const payload = await runHelperJob(host, request, context, deps.helperJob);
      return { payload, argv: helperArgv(await helperDir(hostId, context.signal), request) };
    },
    async remove(hostId, signal) {
      const bundle = await loadHelperBundle(deps.helperRoot, expected.helperVersion);
      const removed = await removeHelper(await ssh.connect(hostId, signal), bundle.folderName, signal);
      helperDirs.delete(hostId);
      return removed;
    },
    forget(hostId) {
      helperDirs.delete(hostId);
    },
  };
}
