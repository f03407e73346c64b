import { isAbsolute, join } from 'node:path';
import type { HostDetails, HostEntry, HostForm, HostTestReport, HostVmList } from '../../preload/api';
import type { EventBus } from '../contract/event-bus';
import { WorkbenchFailure } from '../errors';
import { runHelperJob, type HelperHostAccess, type HelperJobOptions, type HelperVerb } from '../helper-client/helper-job';
import { helperProtocolVersion, helperVersion } from '../helper-client/helper-messages';
import { parseListPayload, parseProbePayload } from '../helper-client/helper-payloads';
import type { HostInput, HostTarget } from '../hosts/host-types';
import type { JobKind } from '../../preload/api';
import type { JobRunner } from '../jobs/job-runner';
import type { ConfirmUnknownHost } from '../ssh/host-key-verifier';
import type { ReconnectPolicy } from '../ssh/connection-pool';
import type { SecretPrompt } from '../ssh/ssh-auth';
import { createSshService, type SshService } from '../ssh/ssh-service';
import { createHostSettingsStore, validateQmpDirs } from './host-settings';
import { createPromptBroker, type PromptBroker } from './prompt-broker';

/** What the hosts service is built from. */
export interface HostsServiceDeps {
  readonly homeDir: string;
  readonly localUser: string;
  readonly dataDir: string;
  /** The helper folder shipped with the app (resources/helper). */
  readonly helperRoot: string;
  readonly jobs: JobRunner;
  readonly events: EventBus;
  readonly agentSocket?: string;
  /** Non-interactive answers (the CLI); absent means the prompt broker asks through events. */
  readonly prompts?: { readonly confirmUnknownHost: ConfirmUnknownHost; readonly prompt: SecretPrompt };
  readonly promptTimeoutMs?: number;
  readonly reconnect?: ReconnectPolicy;
  readonly helperJob?: HelperJobOptions;
}

/** A helper verb started as an app job. */
export interface StartedHelperJob {
  readonly jobId: string;
  readonly done: Promise<unknown>;
}

/** Hosts, their connections, the helper on them, and the questions connecting asks. */
export interface HostsService {
  list(): Promise<readonly HostEntry[]>;
  get(hostId: string): Promise<HostDetails>;
  add(form: HostForm): Promise<HostDetails>;
  edit(hostId: string, form: HostForm): Promise<HostDetails>;
  remove(hostId: string): Promise<null>;
  test(hostId: string): Promise<HostTestReport>;
  connect(hostId: string): Promise<null>;
  disconnect(hostId: string): Promise<null>;
  listVms(hostId: string): Promise<HostVmList>;
  answerHostKey(promptId: string, accept: boolean): Promise<null>;
  answerSecret(promptId: string, value: string | null): Promise<null>;
  /** Runs any helper verb as a job (clone, destroy, recover, ...). */
  startHelperJob(hostId: string, verb: HelperVerb, args: Readonly<Record<string, unknown>>): Promise<StartedHelperJob>;
  readonly ssh: SshService;
  close(): void;
}

const jobKinds: Partial<Record<HelperVerb, JobKind>> = { clone: 'clone', exec: 'collect', 'file-get': 'collect', dump: 'collect' };

function expandHome(path: string, homeDir: string): string {
  if (path === '~') return homeDir;
  if (path.startsWith('~/')) return join(homeDir, path.slice(2));
  return path;
}

function checkForm(form: HostForm): void {
  if (form.identityFile !== '' && !isAbsolute(form.identityFile) && !form.identityFile.startsWith('~/')) {
    throw new WorkbenchFailure('VALIDATION_FAILED', 'The identity file must be an absolute path or start with ~/.', {
      subject: 'identityFile',
      hint: 'Correct the field and save again.',
    });
  }
  validateQmpDirs(form.qmpDirs);
}

function toInput(form: HostForm, homeDir: string): HostInput {
  return {
    alias: form.alias,
    hostName: form.hostName,
    port: form.port,
    user: form.user,
    identityFiles: form.identityFile === '' ? [] : [expandHome(form.identityFile, homeDir)],
    ...(form.proxyJump === '' ? {} : { proxyJump: form.proxyJump }),
  };
}

/** Creates the service; the SSH connection pool's state changes go out as `sessionState` events. */
export function createHostsService(deps: HostsServiceDeps): HostsService {
  const broker: PromptBroker = createPromptBroker({
    emitHostKey: (event) => deps.events.emit('hostKeyPrompt', event),
    emitSecret: (event) => deps.events.emit('secretPrompt', event),
    ...(deps.promptTimeoutMs === undefined ? {} : { timeoutMs: deps.promptTimeoutMs }),
  });
  const settings = createHostSettingsStore(deps.dataDir);
  const ssh = createSshService({
    homeDir: deps.homeDir,
    localUser: deps.localUser,
    dataDir: deps.dataDir,
    ...(deps.agentSocket === undefined ? {} : { agentSocket: deps.agentSocket }),
    confirmUnknownHost: deps.prompts?.confirmUnknownHost ?? ((key) => broker.confirmHostKey(key)),
    prompt: deps.prompts?.prompt ?? ((request) => broker.askSecret(request)),
    onState: (event) => deps.events.emit('sessionState', event),
    helper: { root: deps.helperRoot, version: helperVersion, protocolVersion: helperProtocolVersion },
    ...(deps.reconnect === undefined ? {} : { reconnect: deps.reconnect }),
  });
  // The deployed helper folder per host; a deploy proves hashes and hello, so it is done once per connect.
  const helperDirs = new Map<string, string>();

  const details = async (host: HostTarget): Promise<HostDetails> => ({
    id: host.id,
    alias: host.alias,
    hostName: host.hostName,
    user: host.user,
    port: host.port,
    source: host.source,
    identityFile: host.identityFiles[0] ?? '',
    proxyJump: host.proxyJump ?? '',
    qmpDirs: (await settings.get(host.id)).qmpDirs,
  });
  const label = (host: HostTarget): string => `${host.user}@${host.hostName}:${host.port}`;

  const access: HelperHostAccess = {
    runPrivileged: (hostId, argv, options) => ssh.runPrivileged(hostId, argv, options),
    async helperDir(hostId, signal) {
      const known = helperDirs.get(hostId);
      if (known !== undefined) return known;
      const deployment = await ssh.deployHelper(hostId, signal);
      helperDirs.set(hostId, deployment.remoteDir);
      return deployment.remoteDir;
    },
    async reconnect(hostId, signal) {
      await ssh.connect(hostId, signal);
    },
  };

  const startHelperJob = async (hostId: string, verb: HelperVerb, args: Readonly<Record<string, unknown>>): Promise<StartedHelperJob> => {
    const host = await ssh.hosts.get(hostId);
    const { qmpDirs } = await settings.get(hostId);
    const request = { hostId, hostLabel: label(host), verb, args, qmpDirs };
    return deps.jobs.start(jobKinds[verb] ?? 'connect-host', `${verb} on ${host.alias}`, (context) => runHelperJob(access, request, context, deps.helperJob));
  };

  return {
    ssh,
    list: () => ssh.listHosts(),
    get: async (hostId) => details(await ssh.hosts.get(hostId)),
    async add(form) {
      checkForm(form);
      const host = await ssh.hosts.add(toInput(form, deps.homeDir));
      await settings.set(host.id, { qmpDirs: form.qmpDirs });
      return details(host);
    },
    async edit(hostId, form) {
      checkForm(form);
      const current = await ssh.hosts.get(hostId);
      // ssh-config hosts are edited in their file; only the app's own settings change here.
      const host = current.source === 'app' ? await ssh.hosts.edit(hostId, toInput(form, deps.homeDir)) : current;
      await settings.set(hostId, { qmpDirs: form.qmpDirs });
      if (current.source === 'app') {
        ssh.disconnect(hostId);
        helperDirs.delete(hostId);
      }
      return details(host);
    },
    async remove(hostId) {
      ssh.disconnect(hostId);
      helperDirs.delete(hostId);
      await ssh.hosts.remove(hostId);
      await settings.remove(hostId);
      return null;
    },
    async test(hostId) {
      const host = await ssh.hosts.get(hostId);
      return deps.jobs.run('connect-host', `Test ${host.alias}`, async (context) => {
        context.progress(0.1, 'Connecting');
        await ssh.connect(hostId, context.signal);
        context.progress(0.4, 'Deploying the helper');
        const deployment = await ssh.deployHelper(hostId, context.signal);
        helperDirs.set(hostId, deployment.remoteDir);
        context.progress(0.8, 'Checking root access');
        const result = await ssh.runPrivileged(hostId, ['true'], { signal: context.signal, maxOutputBytes: 4096 });
        if (result.exitCode !== 0) {
          throw new WorkbenchFailure('SUDO_PASSWORD_REQUIRED', `${host.user} cannot run commands as root on ${host.alias}.`, { subject: hostId });
        }
        return {
          hostId,
          helperVersion: deployment.hello.helperVersion,
          protocolVersion: deployment.hello.protocolVersion,
          privilege: host.user === 'root' ? 'root' : 'sudo',
        } satisfies HostTestReport;
      });
    },
    async connect(hostId) {
      const host = await ssh.hosts.get(hostId);
      await deps.jobs.run('connect-host', `Connect ${host.alias}`, async (context) => {
        context.progress(0.1, 'Connecting');
        await ssh.connect(hostId, context.signal);
        context.progress(0.5, 'Deploying the helper');
        const deployment = await ssh.deployHelper(hostId, context.signal);
        helperDirs.set(hostId, deployment.remoteDir);
      });
      return null;
    },
    async disconnect(hostId) {
      ssh.disconnect(hostId);
      helperDirs.delete(hostId);
      return null;
    },
    async listVms(hostId) {
      const host = await ssh.hosts.get(hostId);
      const probe = await startHelperJob(hostId, 'probe', {});
      const capabilities = parseProbePayload(await probe.done, label(host));
      const list = await startHelperJob(hostId, 'list', {});
      const vms = parseListPayload(await list.done, label(host));
      return { hostId, capabilities, ...vms };
    },
    async answerHostKey(promptId, accept) {
      broker.answerHostKey(promptId, accept);
      return null;
    },
    async answerSecret(promptId, value) {
      broker.answerSecret(promptId, value);
      return null;
    },
    startHelperJob,
    close() {
      broker.close();
      ssh.close();
    },
  };
}
