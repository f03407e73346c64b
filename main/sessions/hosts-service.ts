import { isAbsolute, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { HostDetails, HostEntry, HostForm, HostNoticeEvent, HostTestReport, HostVmList } from '../../preload/api';
import type { EventBus } from '../events/event-bus';
import { WorkbenchFailure, toWorkbenchError } from '../errors';
import { createHelperAccess, type HelperAccess } from '../helper-client/helper-access';
import { helperEntryPath } from '../helper-client/helper-deploy';
import type { HelperJobOptions, HelperVerb } from '../helper-client/helper-job';
import { parseGcPayload, parseListPayload, parseProbePayload, parseRecoverPayload } from '../helper-client/helper-payloads';
import { createLogger } from '../logging/logger';
import type { HostInput, HostTarget } from '../hosts/host-types';
import type { JobKind } from '../../preload/api';
import type { JobRunner } from '../jobs/job-runner';
import type { ConfirmUnknownHost } from '../ssh/host-key-verifier';
import type { ReconnectPolicy } from '../ssh/connection-pool';
import type { SecretPrompt } from '../ssh/ssh-auth';
import { createSshService, type SshService } from '../ssh/ssh-service';
import { createHostSettingsStore, validateQmpDirs } from '../hosts/host-settings';
import { describeRecoveries, planRecovery, type RecoveryPlan, type SessionRecovery } from './interrupted-sessions';
import { createPromptBroker, type PromptBroker } from './prompt-broker';

const log = createLogger('hosts');

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
  startHelperJob(hostId: string, verb: HelperVerb, args: Readonly<Record<string, unknown>>, title?: string): Promise<StartedHelperJob>;
  /**
   * Settles once the interrupted-session check started by the host's last helper deploy is over.
   *
   * Every first deploy of a connection runs `gc` and then `recover` on each interrupted session, in the
   * background (a `hostNotice` event says what was done); this never rejects.
   */
  interruptedSessionsChecked(hostId: string): Promise<HostNoticeEvent | null>;
  /**
   * The helper's own `list` entry for a VM key from the host's last `listVms` (the record the UI shows),
   * or null when the host has not been listed or had no such VM: a capture of what the user picked
   * starts from it instead of listing again.
   */
  listedVm(hostId: string, vmId: string): unknown;
  readonly ssh: SshService;
  /** The helper on each host, with the one deployment cache every feature shares (captures too). */
  readonly helper: HelperAccess;
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

/** A list payload's entries by their `id` (the VM key); parseListPayload has already read the payload. */
function listedEntries(payload: unknown): ReadonlyMap<string, unknown> {
  const entries = new Map<string, unknown>();
  const vms = (payload as { vms?: unknown }).vms;
  for (const entry of Array.isArray(vms) ? vms : []) {
    const id = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined;
    if (typeof id === 'string') entries.set(id, entry);
  }
  return entries;
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
    ...(deps.reconnect === undefined ? {} : { reconnect: deps.reconnect }),
  });
  // The interrupted-session check of each host's last first deploy (see `interruptedSessionsChecked`).
  const sessionChecks = new Map<string, Promise<HostNoticeEvent | null>>();
  // Each host's last list, raw entries by VM key; replaced by every listVms, dropped with the host.
  const listedVms = new Map<string, ReadonlyMap<string, unknown>>();

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

  const helper = createHelperAccess({
    ssh,
    helperRoot: deps.helperRoot,
    settings,
    ...(deps.helperJob === undefined ? {} : { helperJob: deps.helperJob }),
    onFirstDeploy: (hostId, helperDir) => deployed(hostId, helperDir),
  });

  const startHelperJob = async (hostId: string, verb: HelperVerb, args: Readonly<Record<string, unknown>>, title?: string): Promise<StartedHelperJob> => {
    const host = await ssh.hosts.get(hostId);
    return deps.jobs.start(jobKinds[verb] ?? 'connect-host', title ?? `${verb} on ${host.alias}`, async (context) => (await helper.run(hostId, verb, args, context)).payload);
  };

  /** `gc`, then `recover` on each interrupted session no helper holds; says what it did. Never rejects. */
  const recoverInterruptedSessions = async (hostId: string, helperDir: string): Promise<HostNoticeEvent | null> => {
    const host = await ssh.hosts.get(hostId);
    const notice = (report: Omit<HostNoticeEvent, 'hostId' | 'noticeId' | 'at'>): HostNoticeEvent => {
      const event: HostNoticeEvent = { hostId, noticeId: randomUUID(), at: new Date().toISOString(), ...report };
      deps.events.emit('hostNotice', event);
      return event;
    };
    let checkJob: StartedHelperJob | undefined;
    let plan: RecoveryPlan;
    try {
      checkJob = await startHelperJob(hostId, 'gc', {}, `Check ${host.alias} for interrupted clones`);
      plan = planRecovery(parseGcPayload(await checkJob.done, label(host)));
    } catch (error) {
      const failure = toWorkbenchError(error);
      log.warn(`interrupted-session check on ${host.alias} failed: ${failure.code}`);
      return notice({
        tone: 'warning',
        text: `Could not check ${host.alias} for interrupted clones: ${failure.message}`,
        jobIds: checkJob ? [checkJob.jobId] : [],
        error: { ...failure, hint: `Run it by hand on the host: sudo python3 ${helperEntryPath(helperDir)} gc, then recover.` },
      });
    }
    if (plan.recover.length === 0) return null;
    const recoveries: SessionRecovery[] = [];
    // One job per session, named by clone: never a blanket recover that could reach a session gc did not list.
    for (const session of plan.recover) {
      let job: StartedHelperJob | undefined;
      try {
        job = await startHelperJob(hostId, 'recover', { cloneId: session.cloneId }, `Recover interrupted clone ${session.cloneId} on ${host.alias}`);
        const outcome = parseRecoverPayload(await job.done, label(host)).find((entry) => entry.cloneId === session.cloneId);
        if (outcome === undefined) throw new WorkbenchFailure('HELPER_FAILED', `recover did not report clone ${session.cloneId}.`, { subject: label(host) });
        recoveries.push({ session, jobId: job.jobId, outcome });
      } catch (error) {
        recoveries.push({ session, jobId: job?.jobId ?? null, failure: toWorkbenchError(error) });
      }
    }
    // What the sources are now, read once after all recovers: the notice says whether production runs.
    const sourceStates = new Map<string, string>();
    if (recoveries.some((recovery) => 'outcome' in recovery && recovery.outcome.outcome === 'recovered')) {
      try {
        const list = await startHelperJob(hostId, 'list', {}, `List ${host.alias} after recover`);
        for (const vm of parseListPayload(await list.done, label(host)).vms) sourceStates.set(vm.id, vm.state);
      } catch (error) {
        log.warn(`list after recover on ${host.alias} failed: ${toWorkbenchError(error).code}`);
      }
    }
    const report = describeRecoveries(recoveries, helperDir, sourceStates);
    log.info(`recover on ${host.alias}: ${report.text}`);
    return notice({
      tone: report.tone,
      text: report.text,
      jobIds: recoveries.flatMap((recovery) => (recovery.jobId === null ? [] : [recovery.jobId])),
      ...(report.error === null ? {} : { error: report.error }),
    });
  };

  /** Starts the interrupted-session check a connection's first deploy calls for (one at a time per host). */
  function deployed(hostId: string, helperDir: string): void {
    const running = sessionChecks.get(hostId);
    const next = (running ?? Promise.resolve(null)).then(() => recoverInterruptedSessions(hostId, helperDir)).catch(() => null);
    sessionChecks.set(hostId, next);
  }

  return {
    ssh,
    helper,
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
        helper.forget(hostId);
      }
      return details(host);
    },
    async remove(hostId) {
      ssh.disconnect(hostId);
      helper.forget(hostId);
      listedVms.delete(hostId);
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
        // An explicit test or connect counts as a connection's first deploy: it looks for interrupted sessions again.
        helper.forget(hostId);
        const deployment = await helper.deploy(hostId, context.signal);
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
        helper.forget(hostId);
        await helper.deploy(hostId, context.signal);
      });
      return null;
    },
    async disconnect(hostId) {
      ssh.disconnect(hostId);
      helper.forget(hostId);
      return null;
    },
    async listVms(hostId) {
      const host = await ssh.hosts.get(hostId);
      const probe = await startHelperJob(hostId, 'probe', {});
      const capabilities = parseProbePayload(await probe.done, label(host));
      // A recover in progress resumes paused sources and removes clones: list what it leaves.
      await sessionChecks.get(hostId);
      const list = await startHelperJob(hostId, 'list', {});
      const payload = await list.done;
      const vms = parseListPayload(payload, label(host));
      listedVms.set(hostId, listedEntries(payload));
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
    interruptedSessionsChecked: async (hostId) => (await sessionChecks.get(hostId)) ?? null,
    listedVm: (hostId, vmId) => listedVms.get(hostId)?.get(vmId) ?? null,
    close() {
      broker.close();
      ssh.close();
    },
  };
}
