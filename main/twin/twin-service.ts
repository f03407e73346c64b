import { randomUUID } from 'node:crypto';
import type { TwinExecResult, TwinForward, TwinRequest, TwinSummary, TwinsChangedEvent } from '../../preload/api';
import { toGuestText } from '../bundle/guest-text';
import { WorkbenchFailure, toWorkbenchError } from '../errors';
import type { HelperAccess } from '../helper-client/helper-access';
import type { HelperVerb } from '../helper-client/helper-job';
import type { JobContext, JobRunner } from '../jobs/job-runner';
import { createLogger } from '../logging/logger';
import type { SshConnection } from '../ssh/ssh-connect';
import { guestAddressFromIpOutput, needsOwnSubnet } from './guest-address';
import { parseAddForward, parseExec, parseGcTwins, parseRenew, parseTwinClone, type GcTwin, type HelperForward, type HelperLease, type TwinClonePayload } from './twin-payloads';
import { openTwinTunnel, type TwinTunnel } from './twin-tunnel';

const log = createLogger('twins');

/** What the twin service is built from: the app's helper access, SSH connections and job runner. */
export interface TwinServiceDeps {
  readonly jobs: JobRunner;
  readonly helper: Pick<HelperAccess, 'run'>;
  readonly connection: (hostId: string, signal?: AbortSignal) => Promise<SshConnection>;
  /** The host's alias, for titles and messages. */
  readonly hostAlias: (hostId: string) => Promise<string>;
  /** The helper's `list` entry the app last showed for a VM key, or null. */
  readonly listedVm: (hostId: string, vmId: string) => unknown;
  readonly emit: (event: TwinsChangedEvent) => void;
  readonly now?: () => number;
  /** How long one renew may take before it counts as failed (default 60 s). */
  readonly renewTimeoutMs?: number;
}

/** Twins: start, list, renew, destroy, forward, exec; and the verbs experiments run on them. */
export interface TwinService {
  start(request: TwinRequest): Promise<{ readonly jobId: string }>;
  /** Waits for a started twin (tests and the CLI). */
  started(jobId: string): Promise<TwinSummary>;
  list(hostId: string): Promise<readonly TwinSummary[]>;
  renew(hostId: string, twinId: string, ttlSeconds: number): Promise<TwinSummary>;
  destroy(hostId: string, twinId: string): Promise<null>;
  openForward(hostId: string, twinId: string, guestPort: number): Promise<TwinForward>;
  exec(hostId: string, twinId: string, argv: readonly string[], timeoutSeconds?: number): Promise<TwinExecResult>;
  /** A live twin as listed now; TWIN_NOT_FOUND when the host no longer has it. */
  get(hostId: string, twinId: string, signal?: AbortSignal): Promise<TwinSummary>;
  /** Runs a helper verb on a twin as part of `context`'s job (experiments). */
  run(hostId: string, verb: HelperVerb, args: Readonly<Record<string, unknown>>, context: JobContext): Promise<unknown>;
  /** Stops renewing and closes tunnels; the twins stay until their leases end on the host. */
  close(): Promise<void>;
}

/** The VM name a list entry gives, or null. */
function listedName(entry: unknown): string | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const name = (entry as { name?: unknown }).name;
  return typeof name === 'string' ? name : null;
}

/** What this app knows of a twin beyond what the host lists. */
interface TwinRecord {
  hostId: string;
  twinId: string;
  vmId: string;
  vmName: string | null;
  createdAt: number;
  ttlSeconds: number;
  autoRenew: boolean;
  strategy: string;
  sourcePauseMs: number | null;
  lease: HelperLease;
  forwards: HelperForward[];
  renewError?: ReturnType<typeof toWorkbenchError>;
  gone: boolean;
  timer?: ReturnType<typeof setInterval>;
  tunnels: Map<number, TwinTunnel>;
}

const key = (hostId: string, twinId: string): string => `${hostId}\u0000${twinId}`;

/** Renew at a third of the lease (at most every 20 s): two renews can fail before the host ends it. */
export function renewIntervalMs(ttlSeconds: number): number {
  return Math.max(20_000, Math.floor((ttlSeconds * 1000) / 3));
}

export function createTwinService(deps: TwinServiceDeps): TwinService {
  const now = deps.now ?? Date.now;
  const records = new Map<string, TwinRecord>();
  const startedJobs = new Map<string, Promise<TwinSummary>>();

  const quietContext = (signal?: AbortSignal): JobContext => ({ jobId: randomUUID(), signal: signal ?? new AbortController().signal, progress: () => undefined });
  const runVerb = async (hostId: string, verb: HelperVerb, args: Readonly<Record<string, unknown>>, context: JobContext): Promise<unknown> =>
    (await deps.helper.run(hostId, verb, args, context)).payload;

  const summary = (record: TwinRecord): TwinSummary => {
    const expiresAt = record.lease.expiresAt * 1000;
    const secondsLeft = Math.max(0, Math.round((expiresAt - now()) / 1000));
    return {
      hostId: record.hostId,
      twinId: record.twinId,
      vmId: record.vmId,
      vmName: record.vmName,
      state: record.gone ? 'gone' : record.lease.expired || secondsLeft === 0 ? 'expired' : 'live',
      createdAt: new Date(record.createdAt).toISOString(),
      expiresAt: new Date(expiresAt).toISOString(),
      ttlSeconds: record.ttlSeconds,
      secondsLeft,
      autoRenew: record.autoRenew && !record.gone,
      ...(record.renewError === undefined ? {} : { renewError: record.renewError }),
      forwards: record.forwards
        .filter((forward) => forward.protocol === 'tcp')
        .map((forward) => {
          const tunnel = record.tunnels.get(forward.guestPort);
          return {
            guestPort: forward.guestPort,
            guestAddress: forward.guestAddress,
            hostPort: forward.hostPort,
            localUrl: tunnel === undefined ? null : `http://127.0.0.1:${tunnel.localPort}/`,
          };
        }),
      leaseMechanism: record.lease.systemd?.unit ? 'systemd-scope' : 'keeper',
      strategy: record.strategy,
      sourcePauseMs: record.sourcePauseMs,
    };
  };

  const hostTwins = (hostId: string): TwinSummary[] => [...records.values()].filter((record) => record.hostId === hostId).map(summary);
  const changed = (hostId: string): void => deps.emit({ hostId, twins: hostTwins(hostId) });

  const forget = async (record: TwinRecord): Promise<void> => {
    if (record.timer !== undefined) clearInterval(record.timer);
    record.timer = undefined;
    await Promise.all([...record.tunnels.values()].map((tunnel) => tunnel.close()));
    record.tunnels.clear();
  };

  const renewOnce = async (record: TwinRecord, ttlSeconds: number, signal?: AbortSignal): Promise<void> => {
    const alias = await deps.hostAlias(record.hostId);
    const payload = parseRenew(await runVerb(record.hostId, 'renew', { cloneId: record.twinId, leaseSeconds: ttlSeconds }, quietContext(signal)), alias);
    record.lease = payload.lease;
    record.ttlSeconds = ttlSeconds;
    delete record.renewError;
  };

  const scheduleRenew = (record: TwinRecord): void => {
    if (record.timer !== undefined) clearInterval(record.timer);
    if (!record.autoRenew) return;
    record.timer = setInterval(() => {
      void (async () => {
        try {
          await renewOnce(record, record.ttlSeconds, AbortSignal.timeout(deps.renewTimeoutMs ?? 60_000));
        } catch (error) {
          const failure = toWorkbenchError(error);
          log.warn(`renewing twin ${record.twinId} failed: ${failure.message}`);
          if (failure.code === 'NOT_FOUND' || (failure.code === 'VALIDATION_FAILED' && /lease|not a twin/i.test(failure.message))) {
            record.gone = true;
            await forget(record);
          } else {
            const expiresAt = new Date(record.lease.expiresAt * 1000).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
            record.renewError = {
              code: 'TWIN_LEASE_LOST',
              message: `Could not renew the lease of twin ${record.twinId}: ${failure.message} The host ends it at ${expiresAt}.`,
              hint: failure.hint,
            };
          }
        }
        changed(record.hostId);
      })();
    }, renewIntervalMs(record.ttlSeconds));
    record.timer.unref?.();
  };

  const adopt = (hostId: string, session: GcTwin): TwinRecord | null => {
    if (!session.lease) return null;
    const vmId = session.vm?.id ?? session.vm?.target ?? 'unknown';
    const record: TwinRecord = {
      hostId,
      twinId: session.cloneId,
      vmId,
      vmName: listedName(deps.listedVm(hostId, vmId)) ?? session.vm?.target ?? null,
      createdAt: (session.createdAt ?? now() / 1000) * 1000,
      ttlSeconds: session.lease.ttlSeconds ?? 0,
      // A twin an earlier run of the app started: renewing it is the user's call, not ours.
      autoRenew: false,
      strategy: 'unknown',
      sourcePauseMs: null,
      lease: session.lease,
      forwards: session.forwards ?? [],
      gone: false,
      tunnels: new Map(),
    };
    records.set(key(hostId, session.cloneId), record);
    return record;
  };

  const refresh = async (hostId: string, signal?: AbortSignal): Promise<TwinSummary[]> => {
    const alias = await deps.hostAlias(hostId);
    const twins = parseGcTwins(await runVerb(hostId, 'gc', {}, quietContext(signal)), alias);
    const listed = new Set<string>();
    for (const session of twins) {
      listed.add(session.cloneId);
      const record = records.get(key(hostId, session.cloneId));
      if (record === undefined) {
        if (session.state === 'ready' && session.cloneAlive) adopt(hostId, session);
        continue;
      }
      if (session.lease) record.lease = session.lease;
      if (session.forwards) record.forwards = session.forwards;
      if (!session.cloneAlive || session.state !== 'ready') record.gone = true;
    }
    for (const record of records.values()) {
      if (record.hostId === hostId && !listed.has(record.twinId)) record.gone = true;
    }
    const result = hostTwins(hostId);
    // Gone twins are shown once (so a list says what happened), then dropped.
    for (const record of [...records.values()]) {
      if (record.hostId === hostId && record.gone) {
        await forget(record);
        records.delete(key(hostId, record.twinId));
      }
    }
    return result;
  };

  const get = async (hostId: string, twinId: string, signal?: AbortSignal): Promise<TwinSummary> => {
    const twins = await refresh(hostId, signal);
    const twin = twins.find((candidate) => candidate.twinId === twinId);
    if (twin === undefined || twin.state !== 'live') {
      throw new WorkbenchFailure('TWIN_NOT_FOUND', `Twin ${twinId} is not running on ${await deps.hostAlias(hostId)}${twin ? ` (${twin.state})` : ''}.`, { subject: twinId });
    }
    return twin;
  };

  const recordFor = (hostId: string, twinId: string): TwinRecord => {
    const record = records.get(key(hostId, twinId));
    if (record === undefined) throw new WorkbenchFailure('TWIN_NOT_FOUND', `No twin ${twinId} is known on this host; list the host's twins first.`, { subject: twinId });
    return record;
  };

  const cloneTwin = async (request: TwinRequest, guestNetwork: { address: string; prefix: number } | undefined, context: JobContext): Promise<TwinClonePayload> => {
    const alias = await deps.hostAlias(request.hostId);
    const args = {
      vm: request.vmId,
      leaseSeconds: request.ttlSeconds,
      hostForwards: request.guestPorts.map((guestPort) => ({ hostPort: 0, guestPort })),
      ...(guestNetwork === undefined ? {} : { guestNetwork }),
    };
    return parseTwinClone(await runVerb(request.hostId, 'clone', args, context), alias);
  };

  const startWork = async (request: TwinRequest, context: JobContext): Promise<TwinSummary> => {
    const alias = await deps.hostAlias(request.hostId);
    const explicit = typeof request.guestNetwork === 'object' ? request.guestNetwork : undefined;
    context.progress(0.05, 'Cloning the VM');
    let clone = await cloneTwin(request, explicit, context);
    if (request.guestNetwork === 'auto') {
      // The address is read from the clone itself (production is never asked). A guest on its own
      // subnet needs the clone's isolated network on that subnet, which is fixed when the clone starts:
      // so such a twin is made once more, with the address it reported.
      try {
        context.progress(0.6, 'Reading the guest\'s own address in the twin');
        const shown = parseExec(await runVerb(request.hostId, 'exec', { cloneId: clone.cloneId, path: '/bin/sh', args: ['-c', 'ip -4 -o addr show scope global 2>/dev/null || ifconfig'], timeoutSeconds: 30 }, context), alias);
        const address = guestAddressFromIpOutput(Buffer.from(shown.stdoutBase64, 'base64').toString('utf8'));
        if (address !== null && needsOwnSubnet(address)) {
          context.progress(0.7, `The guest uses ${address.address}/${address.prefix}: cloning again on that subnet`);
          await runVerb(request.hostId, 'destroy', { cloneId: clone.cloneId }, context);
          clone = await cloneTwin(request, address, context);
        }
      } catch (error) {
        // The start failed, so nothing renews this clone and nobody asked to keep it: without this it
        // would hold the host's memory until its lease ran out. Its own signal, as the job's may have fired.
        await runVerb(request.hostId, 'destroy', { cloneId: clone.cloneId }, quietContext(AbortSignal.timeout(120_000))).catch((destroyError: unknown) => {
          log.warn(`destroying twin ${clone.cloneId} after a failed start failed: ${toWorkbenchError(destroyError).message}`);
        });
        throw error;
      }
    }
    const record: TwinRecord = {
      hostId: request.hostId,
      twinId: clone.cloneId,
      vmId: request.vmId,
      vmName: listedName(deps.listedVm(request.hostId, request.vmId)),
      createdAt: now(),
      ttlSeconds: request.ttlSeconds,
      autoRenew: request.autoRenew ?? true,
      strategy: clone.strategy,
      sourcePauseMs: clone.sourcePauseMs ?? null,
      lease: clone.lease,
      forwards: clone.forwards,
      gone: false,
      tunnels: new Map(),
    };
    records.set(key(request.hostId, clone.cloneId), record);
    scheduleRenew(record);
    changed(request.hostId);
    context.progress(1, `Twin ${clone.cloneId} of ${record.vmName ?? request.vmId} is up on ${alias}`);
    return summary(record);
  };

  return {
    async start(request) {
      if (request.ttlSeconds < 60 || request.ttlSeconds > 86_400) throw new WorkbenchFailure('VALIDATION_FAILED', 'A twin\'s lease is 60 s to 24 h.');
      const alias = await deps.hostAlias(request.hostId);
      const name = listedName(deps.listedVm(request.hostId, request.vmId)) ?? request.vmId;
      const { jobId, done } = deps.jobs.start('twin', `Twin of ${name} on ${alias}`, (context) => startWork(request, context));
      startedJobs.set(jobId, done);
      done.catch(() => undefined);
      return { jobId };
    },
    async started(jobId) {
      const done = startedJobs.get(jobId);
      if (done === undefined) throw new WorkbenchFailure('NOT_FOUND', `No twin job ${jobId}.`);
      return done;
    },
    list: (hostId) => refresh(hostId),
    async renew(hostId, twinId, ttlSeconds) {
      if (!records.has(key(hostId, twinId))) await refresh(hostId);
      const record = recordFor(hostId, twinId);
      await renewOnce(record, ttlSeconds);
      scheduleRenew(record);
      changed(hostId);
      return summary(record);
    },
    async destroy(hostId, twinId) {
      const alias = await deps.hostAlias(hostId);
      await deps.jobs.run('twin', `Destroy twin ${twinId} on ${alias}`, (context) => runVerb(hostId, 'destroy', { cloneId: twinId }, context));
      const record = records.get(key(hostId, twinId));
      if (record !== undefined) {
        await forget(record);
        records.delete(key(hostId, twinId));
      }
      changed(hostId);
      return null;
    },
    async openForward(hostId, twinId, guestPort) {
      await get(hostId, twinId);
      const record = recordFor(hostId, twinId);
      const alias = await deps.hostAlias(hostId);
      let forward = record.forwards.find((candidate) => candidate.protocol === 'tcp' && candidate.guestPort === guestPort);
      if (forward === undefined) {
        try {
          const added = parseAddForward(await runVerb(hostId, 'forward', { cloneId: twinId, guestPort }, quietContext()), alias);
          record.forwards = added.forwards;
          forward = added.forward;
        } catch (error) {
          const failure = toWorkbenchError(error);
          throw new WorkbenchFailure('FORWARD_FAILED', `Could not forward port ${guestPort} of twin ${twinId}: ${failure.message}`, { subject: twinId, cause: error });
        }
      }
      let tunnel = record.tunnels.get(guestPort);
      if (tunnel === undefined) {
        tunnel = await openTwinTunnel(() => deps.connection(hostId), forward.hostPort, `${alias} twin ${twinId}:${guestPort}`);
        record.tunnels.set(guestPort, tunnel);
      }
      changed(hostId);
      return { guestPort, guestAddress: forward.guestAddress, hostPort: forward.hostPort, localUrl: `http://127.0.0.1:${tunnel.localPort}/` };
    },
    async exec(hostId, twinId, argv, timeoutSeconds) {
      const [path, ...args] = argv;
      if (path === undefined || !path.startsWith('/')) throw new WorkbenchFailure('VALIDATION_FAILED', 'Give the program as an absolute path in the twin (e.g. /bin/ps).');
      const alias = await deps.hostAlias(hostId);
      const payload = parseExec(await runVerb(hostId, 'exec', { cloneId: twinId, path, args, timeoutSeconds: timeoutSeconds ?? 60 }, quietContext()), alias);
      return {
        argv: payload.argv,
        exitCode: payload.exitCode,
        signal: payload.signal ?? null,
        stdout: toGuestText(Buffer.from(payload.stdoutBase64, 'base64'), { maxChars: 65_536, multiline: true }),
        stderr: toGuestText(Buffer.from(payload.stderrBase64, 'base64'), { maxChars: 65_536, multiline: true }),
      };
    },
    get,
    run: runVerb,
    async close() {
      await Promise.all([...records.values()].map(forget));
    },
  };
}
