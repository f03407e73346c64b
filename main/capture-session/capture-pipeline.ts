import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { CaptureOutcome, CaptureRequest, CaptureRetention, CaptureStep } from '../../preload/api';
import type { ManifestCommand } from '../bundle/bundle-schema';
import { WorkbenchFailure, throwIfAborted, toWorkbenchError } from '../errors';
import type { JobContext } from '../jobs/job-runner';
import { createLogger } from '../logging/logger';
import { writeCaptureBundle, type StagedArtifact } from './capture-bundle';
import type { CaptureHelperVerb, CaptureHost, HelperRun } from './capture-host';
import { chooseAccess, helperCollectSteps, needsGuestAccess } from './capture-steps';
import { parseCollectPayload } from './collect-payload';
import { collectOverSsh, type SshCollectResult } from './ssh-collect';
import { explainGoneTargets, withProcessListing } from './gone-targets';
import type { LocalToolkit } from './host-toolkit';
import { buildingToolkitStep } from './local-toolkit';
import type { BundleSigner } from '../bundle/signature';

const log = createLogger('capture');

/** What a capture needs besides the host. */
export interface CapturePipelineOptions {
  readonly caseDir: string;
  /** `user@machine`, for custody. */
  readonly actor: string;
  readonly toolVersion: string;
  /**
   * The toolkit built on this machine; only asked for when the capture may reach into the clone, before
   * the host is touched. `onBuilding` is called when it is being built now (first use).
   */
  readonly toolkit: (onBuilding?: () => void) => Promise<LocalToolkit>;
  /** The workstation key that signs each capture; captures are unsigned without it. */
  readonly signer?: () => Promise<BundleSigner>;
}

/** Retention when the request names none: nothing stays on the host. */
export const defaultRetention: CaptureRetention = { hostArtifacts: 'delete', memoryDump: 'download' };

const text = z.string().max(4096);
const vmSchema = z.object({
  id: text,
  name: text.nullable(),
  uuid: text.nullable().optional(),
  state: text,
  qgaChannel: z.boolean(),
  cloneable: z.boolean(),
  reasons: z.array(text).max(64),
});
const listSchema = z.object({ vms: z.array(vmSchema).max(1000) });
const cloneSchema = z.object({ cloneId: z.string().regex(/^cw-[0-9a-f]{12}$/), strategy: text, sessionDir: text });

function parseOrFail<T>(schema: z.ZodType<T>, payload: unknown, verb: string, host: string): T {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  throw new WorkbenchFailure('HELPER_FAILED', `The helper on ${host} returned a ${verb} result the app cannot read.`, { subject: host });
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The VM's UUID, or for a VM without one a stable name-derived UUID (the manifest needs one). */
export function manifestUuid(uuid: string | null | undefined, vmId: string): string {
  const lower = uuid?.toLowerCase();
  if (lower !== undefined && uuidPattern.test(lower)) return lower;
  const hex = createHash('sha256').update(`civic-vm:${vmId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((Number.parseInt(hex.slice(16, 17), 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A file name for a capture: VM, UTC time and clone id, in characters every file system takes. */
export function captureName(vmName: string, startedAt: string, cloneId: string): string {
  const safeVm = vmName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '').slice(0, 64) || 'vm';
  const time = startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${safeVm}-${time}-${cloneId}`;
}

/** Maps a helper run's own 0..1 progress into a band of the capture job's progress. */
function band(context: JobContext, jobSuffix: string, low: number, high: number, label: (step: string, message: string | undefined) => string): JobContext {
  return {
    jobId: `${context.jobId}-${jobSuffix}`,
    signal: context.signal,
    progress: (value, step, lastLine) => context.progress(low + (high - low) * Math.min(1, Math.max(0, value)), label(step, lastLine), lastLine),
  };
}

/** How each way in is named in progress. */
const wayInLabels = { qga: 'qemu-guest-agent', ssh: 'SSH into the clone', none: 'agentless (memory dump only)' } as const;

/** Logs in to the clone's sshd through the host's forward and collects there; the login is closed on every path. */
async function collectThroughGuestSsh(
  host: CaptureHost,
  request: CaptureRequest,
  port: number,
  toolkit: LocalToolkit,
  steps: readonly CaptureStep[],
  stagingDir: string,
  context: JobContext,
): Promise<SshCollectResult> {
  const login = request.guestLogin;
  if (login === undefined) throw new WorkbenchFailure('VALIDATION_FAILED', 'The SSH way in needs a guest login.', { subject: 'guestLogin' });
  context.progress(0, 'collect:login');
  const guest = await host.openGuest(request.hostId, port, login, context.signal);
  try {
    await mkdir(stagingDir, { recursive: true, mode: 0o700 });
    return await collectOverSsh(guest, toolkit, steps, stagingDir, (value, step) => context.progress(value, step), context.signal);
  } finally {
    guest.close();
  }
}

/** Steps that can run with the chosen way in; the others are reported as skipped. */
function runnableSteps(steps: readonly CaptureStep[], access: 'qga' | 'ssh' | 'none'): CaptureStep[] {
  return access === 'none' ? steps.filter((step) => !needsGuestAccess(step.id)) : [...steps];
}

/**
 * Runs one capture: connect, deploy the helper, upload the toolkit, clone, collect in the clone,
 * download and verify every artifact, detect, write, seal and pack the bundle, and always destroy the
 * clone (on success, error and cancel alike). The production VM is only touched by the helper's clone,
 * which keeps it running.
 */
export async function runCapture(host: CaptureHost, request: CaptureRequest, context: JobContext, options: CapturePipelineOptions): Promise<CaptureOutcome> {
  const { signal } = context;
  const retention = request.retention ?? defaultRetention;
  const startedAt = new Date().toISOString();
  const captureId = randomUUID();
  const commands: ManifestCommand[] = [];
  const helper = async (verb: CaptureHelperVerb, args: Record<string, unknown>, subContext: JobContext): Promise<unknown> => {
    const run: HelperRun = await host.runHelper(request.hostId, verb, args, subContext);
    commands.push(run.command);
    return run.payload;
  };

  // Found (or built, on first use) before anything touches the host, so a missing build prerequisite
  // stops the capture here with what to install, and no clone is made only to fail at the upload.
  const mayReachIntoClone = request.access !== 'none' && request.steps.some((step) => needsGuestAccess(step.id));
  const preparedToolkit = mayReachIntoClone ? await options.toolkit(() => context.progress(0.005, buildingToolkitStep)) : null;
  throwIfAborted(signal);

  context.progress(0.01, 'Connecting to the host');
  await host.connect(request.hostId, signal);
  const facts = await host.facts(request.hostId, signal);
  context.progress(0.03, 'Deploying the helper');
  const helperVersion = await host.deployHelper(request.hostId, signal);

  context.progress(0.05, 'Finding the VM');
  const list = parseOrFail(listSchema, await helper('list', { libvirt: true }, band(context, 'list', 0.05, 0.07, () => 'Finding the VM')), 'list', facts.label);
  // A VM is named by its reference, or by its name when exactly one VM has it (the CLI's `civic collect lab web`).
  const byName = list.vms.filter((candidate) => candidate.name === request.vmId);
  const vm = list.vms.find((candidate) => candidate.id === request.vmId) ?? (byName.length === 1 ? byName[0] : undefined);
  if (vm === undefined) throw new WorkbenchFailure('NOT_FOUND', `${facts.label} has no VM ${request.vmId}.`, { subject: request.vmId, hint: 'List the VMs with `civic vms <host>` or refresh the VM list.' });
  if (!vm.cloneable) {
    throw new WorkbenchFailure('VM_NOT_CLONEABLE', `${vm.name ?? vm.id} cannot be cloned: ${vm.reasons.join(' ')}`, { subject: vm.id });
  }
  const vmName = vm.name ?? vm.id;

  const plan = chooseAccess(request.access, { qgaChannel: vm.qgaChannel, guestLogin: request.guestLogin !== undefined }, request.steps);
  const steps = runnableSteps(plan.access === 'none' ? request.steps : withProcessListing(request.steps), plan.access);
  if (steps.length === 0) {
    throw new WorkbenchFailure('VALIDATION_FAILED', `Nothing can be collected from ${vmName}: ${plan.reason}`, {
      subject: request.vmId,
      hint: 'Add the memory dump, or give the VM a guest agent channel.',
    });
  }
  context.progress(0.07, `Way in: ${wayInLabels[plan.access]}`, plan.reason);

  let toolkitDir: string | null = null;
  let toolkit: LocalToolkit | null = null;
  if (plan.access === 'qga' && steps.some((step) => needsGuestAccess(step.id))) {
    context.progress(0.08, 'Uploading the toolkit to the host');
    toolkit = preparedToolkit ?? (await options.toolkit());
    toolkitDir = (await host.uploadToolkit(request.hostId, toolkit, signal)).remoteDir;
  }

  // The SSH way in reaches the clone's sshd through a loopback forward on the host, on a port free there.
  const guestPort = plan.access === 'ssh' ? await host.freePort(request.hostId, signal) : null;
  if (plan.access === 'ssh') toolkit = preparedToolkit ?? (await options.toolkit());
  throwIfAborted(signal);
  const clonePayload = await helper(
    'clone',
    guestPort === null ? { vm: vm.id } : { vm: vm.id, hostForwards: [{ hostPort: guestPort, guestPort: 22 }] },
    band(context, 'clone', 0.15, 0.35, (step, message) => {
      // The helper names its strategy in the plan, before it touches the source: show it at once.
      const planned = step === 'plan' ? /\b(background-snapshot|precopy)\b/.exec(message ?? '')?.[1] : undefined;
      return planned === undefined ? `Cloning (${step})` : `Cloning by ${planned}`;
    }),
  );
  const clone = parseOrFail(cloneSchema, clonePayload, 'clone', facts.label);
  const strategy = clone.strategy;
  context.progress(0.35, `Clone ${clone.cloneId} ready (${strategy})`);

  const stagingDir = join(options.caseDir, `.staging-${captureId}`);
  let keptOnHost: string | null = null;
  const name = captureName(vmName, startedAt, clone.cloneId);
  let sessionDir = clone.sessionDir;
  let outcome: CaptureOutcome | undefined;
  let teardownFailure: unknown = null;
  try {
    const collectLabel = (step: string): string => `Collecting (${step.replace(/^collect:/, '')})`;
    const overSsh =
      plan.access === 'ssh' && guestPort !== null && toolkit !== null
        ? await collectThroughGuestSsh(host, request, guestPort, toolkit, steps, stagingDir, band(context, 'ssh', 0.35, 0.6, collectLabel))
        : null;
    // The helper collects what the guest agent (or nothing) can reach; over SSH only the memory dump is left to it.
    const helperSteps = overSsh === null ? steps : steps.filter((step) => !needsGuestAccess(step.id));
    const collectArgs: Record<string, unknown> = { cloneId: clone.cloneId, access: plan.access === 'ssh' ? 'none' : plan.access, steps: helperCollectSteps(helperSteps) };
    if (toolkitDir !== null) collectArgs['toolkit'] = toolkitDir;
    const collected =
      helperSteps.length === 0
        ? null
        : parseCollectPayload(await helper('collect', collectArgs, band(context, 'collect', overSsh === null ? 0.35 : 0.6, 0.7, collectLabel)), facts.label);
    const collectedAt = new Date().toISOString();
    sessionDir = collected?.sessionDir ?? sessionDir;
    const helperArtifacts = collected?.artifacts ?? [];

    const toDownload = helperArtifacts.filter((artifact) => !(artifact.role === 'memory-dump' && retention.memoryDump === 'keep-on-host'));
    const totalBytes = toDownload.reduce((sum, artifact) => sum + artifact.size, 0) || 1;
    let doneBytes = 0;
    const staged: StagedArtifact[] = [...(overSsh?.artifacts ?? [])];
    await mkdir(stagingDir, { recursive: true, mode: 0o700 });
    for (const artifact of toDownload) {
      throwIfAborted(signal);
      const localPath = join(stagingDir, ...artifact.path.split('/'));
      const base = doneBytes;
      await host.download(request.hostId, `${sessionDir}/${artifact.path}`, localPath, artifact, {
        signal,
        onBytes: (bytes) => context.progress(0.7 + (0.15 * (base + bytes)) / totalBytes, `Downloading ${artifact.path}`),
      });
      doneBytes += artifact.size;
      staged.push({ artifact, localPath, verifiedAt: new Date().toISOString() });
    }

    context.progress(0.86, 'Writing the capture bundle');
    const written = await writeCaptureBundle(
      options.caseDir,
      name,
      {
        identity: {
          captureId,
          toolVersion: options.toolVersion,
          helperVersion,
          host: { name: facts.name, hostKeySha256: facts.hostKeySha256 },
          vm: { name: vmName, uuid: manifestUuid(vm.uuid, vm.id) },
          cloneId: clone.cloneId,
          startedAt,
        },
        artifacts: staged,
        commands: [...commands, ...(overSsh?.commands ?? []), ...(collected?.commands ?? []).map((command) => ({ ...command, argv: [...command.argv] }))],
        toolkitManifestPath: toolkit === null ? null : toolkit.manifestPath,
        actor: options.actor,
        collectedAt,
        endedAt: new Date().toISOString(),
        ...(options.signer === undefined ? {} : { signer: options.signer }),
      },
      signal,
    );
    if (!written.integrity.verified) {
      const problem = written.integrity.problems[0];
      throw new WorkbenchFailure(problem?.code ?? 'BUNDLE_HASH_MISMATCH', `The packed capture does not verify: ${problem?.message ?? 'unknown problem'}`, {
        subject: written.bundlePath,
      });
    }
    const keepPaths =
      retention.hostArtifacts === 'keep'
        ? helperArtifacts.map((artifact) => artifact.path)
        : helperArtifacts.filter((artifact) => artifact.role === 'memory-dump' && retention.memoryDump === 'keep-on-host').map((artifact) => artifact.path);
    if (keepPaths.length > 0) {
      context.progress(0.93, 'Keeping artifacts on the host');
      keptOnHost = await host.keep(request.hostId, sessionDir, keepPaths, name);
    }
    const reported = [...(overSsh?.skipped ?? []), ...(collected?.skipped ?? [])];
    const skipped = [...plan.skipped, ...reported.filter((skip) => !plan.skipped.some((planned) => planned.step === skip.step))];
    outcome = {
      jobId: context.jobId,
      bundlePath: written.bundlePath,
      access: overSsh === null ? (collected?.access ?? plan.access) : 'ssh',
      strategy,
      cloneId: clone.cloneId,
      artifacts: written.artifacts,
      skipped,
      failed: explainGoneTargets(steps, [...(overSsh?.failed ?? []), ...(collected?.failed ?? [])], written.processPids),
      processCount: written.processCount,
      findingCount: written.findingCount,
      verified: written.integrity.verified,
      keptOnHost,
    };
  } finally {
    await rm(stagingDir, { recursive: true, force: true });
    // Only the packed .civic stays; a half-written folder is never left looking like a capture.
    await rm(join(options.caseDir, name), { recursive: true, force: true }).catch(() => undefined);
    // The clone goes whatever happened: its own signal, so a cancelled capture still tears it down.
    context.progress(0.95, `Destroying clone ${clone.cloneId}`);
    const teardown = new AbortController();
    try {
      await helper('destroy', { cloneId: clone.cloneId }, { ...band(context, 'destroy', 0.95, 0.99, (step) => `Destroying the clone (${step})`), signal: teardown.signal });
    } catch (error) {
      log.error(`destroying clone ${clone.cloneId} on ${facts.label} failed (${toWorkbenchError(error).code}); session ${sessionDir}`);
      teardownFailure = error;
    }
  }
  // Reached only when the capture itself succeeded: then a clone left behind is the error to report.
  if (teardownFailure !== null) throw teardownFailure;
  return outcome;
}
