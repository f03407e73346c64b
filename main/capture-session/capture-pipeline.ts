import { randomUUID } from 'node:crypto';
import { captureName, manifestUuid } from '../bundle/capture-naming';
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

export { captureName, manifestUuid } from '../bundle/capture-naming';

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

/** What every phase of one capture reads; fixed when the capture starts. */
interface CaptureRun {
  readonly host: CaptureHost;
  readonly request: CaptureRequest;
  readonly context: JobContext;
  readonly options: CapturePipelineOptions;
  readonly retention: CaptureRetention;
  readonly startedAt: string;
  readonly captureId: string;
  /** Every helper command run so far, in order, for the manifest. */
  readonly commands: ManifestCommand[];
}

/** The host as the capture found it. */
interface ReachedHost {
  readonly facts: Awaited<ReturnType<CaptureHost['facts']>>;
  readonly helperVersion: string;
}

type CaptureVm = z.infer<typeof vmSchema>;

/** The way into the clone and the steps that way can run. */
interface AccessPlan {
  readonly plan: ReturnType<typeof chooseAccess>;
  readonly steps: readonly CaptureStep[];
}

/** What goes into the clone with the capture: the toolkit (and where the host holds it) and the SSH forward's port. */
interface CloneKit {
  readonly toolkit: LocalToolkit | null;
  /** The toolkit's folder on the host, when the guest agent runs it from there. */
  readonly toolkitDir: string | null;
  /** The host's loopback port forwarded to the clone's sshd, for the SSH way in. */
  readonly guestPort: number | null;
}

/** The clone on the host. */
interface CloneOnHost {
  readonly cloneId: string;
  readonly strategy: string;
  /** The helper's session folder; collecting may name a new one. */
  sessionDir: string;
}

/** Where the capture is written on this machine. */
interface LocalPaths {
  /** Downloads land here first; removed on every path. */
  readonly stagingDir: string;
  /** The capture's name: its folder while written, then `<name>.civic`. */
  readonly name: string;
}

/** What collecting in the clone brought back, over SSH and from the helper. */
interface Collected {
  readonly overSsh: SshCollectResult | null;
  readonly fromHelper: ReturnType<typeof parseCollectPayload> | null;
  readonly collectedAt: string;
}

/** Runs a helper verb for the capture and records its command for the manifest. */
async function runHelperVerb(run: CaptureRun, verb: CaptureHelperVerb, args: Record<string, unknown>, subContext: JobContext): Promise<unknown> {
  const result: HelperRun = await run.host.runHelper(run.request.hostId, verb, args, subContext);
  run.commands.push(result.command);
  return result.payload;
}

/**
 * Prepare: finds (or builds, on first use) the toolkit when the capture may reach into the clone.
 *
 * Done before anything touches the host, so a missing build prerequisite stops the capture here with
 * what to install, and no clone is made only to fail at the upload.
 */
async function prepareToolkit(run: CaptureRun): Promise<LocalToolkit | null> {
  const { request, context, options } = run;
  const mayReachIntoClone = request.access !== 'none' && request.steps.some((step) => needsGuestAccess(step.id));
  const prepared = mayReachIntoClone ? await options.toolkit(() => context.progress(0.005, buildingToolkitStep)) : null;
  throwIfAborted(context.signal);
  return prepared;
}

/** Reach the host: connects, reads its facts and deploys the helper. */
async function reachHost(run: CaptureRun): Promise<ReachedHost> {
  const { host, request, context } = run;
  context.progress(0.01, 'Connecting to the host');
  await host.connect(request.hostId, context.signal);
  const facts = await host.facts(request.hostId, context.signal);
  context.progress(0.03, 'Deploying the helper');
  const helperVersion = await host.deployHelper(request.hostId, context.signal);
  return { facts, helperVersion };
}

/**
 * Find the VM by its stable key (`qmp:<path>` or `libvirt:<name>`; names are the CLI's to resolve):
 * the record the app last listed for it, so the pick is resolved once; only a key the app has not
 * listed yet runs the helper's `list`.
 */
async function findVm(run: CaptureRun, reached: ReachedHost): Promise<CaptureVm> {
  const { host, request, context } = run;
  const label = reached.facts.label;
  context.progress(0.05, 'Finding the VM');
  const listed = await host.listedVm(request.hostId, request.vmId);
  let vm: CaptureVm | undefined;
  if (listed !== null) {
    vm = parseOrFail(vmSchema, listed, 'list', label);
  } else {
    const payload = await runHelperVerb(run, 'list', { libvirt: true }, band(context, 'list', 0.05, 0.07, () => 'Finding the VM'));
    vm = parseOrFail(listSchema, payload, 'list', label).vms.find((candidate) => candidate.id === request.vmId);
  }
  if (vm === undefined) throw new WorkbenchFailure('NOT_FOUND', `${label} has no VM ${request.vmId}.`, { subject: request.vmId, hint: 'List the VMs with `civic vms <host>` or refresh the VM list.' });
  if (!vm.cloneable) {
    throw new WorkbenchFailure('VM_NOT_CLONEABLE', `${vm.name ?? vm.id} cannot be cloned: ${vm.reasons.join(' ')}`, { subject: vm.id });
  }
  return vm;
}

/** Choose the way in: the access the VM allows and the steps it can run; nothing runnable is refused. */
function planAccess(run: CaptureRun, vm: CaptureVm): AccessPlan {
  const { request, context } = run;
  const plan = chooseAccess(request.access, { qgaChannel: vm.qgaChannel, guestLogin: request.guestLogin !== undefined }, request.steps);
  const steps = runnableSteps(plan.access === 'none' ? request.steps : withProcessListing(request.steps), plan.access);
  if (steps.length === 0) {
    throw new WorkbenchFailure('VALIDATION_FAILED', `Nothing can be collected from ${vm.name ?? vm.id}: ${plan.reason}`, {
      subject: request.vmId,
      hint: 'Add the memory dump, or give the VM a guest agent channel.',
    });
  }
  context.progress(0.07, `Way in: ${wayInLabels[plan.access]}`, plan.reason);
  return { plan, steps };
}

/**
 * Ready the way in: uploads the toolkit for the guest agent, or picks the host port the SSH way in
 * forwards to the clone's sshd (a loopback port free there).
 */
async function readyWayIn(run: CaptureRun, access: AccessPlan, prepared: LocalToolkit | null): Promise<CloneKit> {
  const { host, request, context, options } = run;
  const { plan, steps } = access;
  if (plan.access === 'qga' && steps.some((step) => needsGuestAccess(step.id))) {
    context.progress(0.08, 'Uploading the toolkit to the host');
    const toolkit = prepared ?? (await options.toolkit());
    const toolkitDir = (await host.uploadToolkit(request.hostId, toolkit, context.signal)).remoteDir;
    return { toolkit, toolkitDir, guestPort: null };
  }
  if (plan.access === 'ssh') {
    const guestPort = await host.freePort(request.hostId, context.signal);
    return { toolkit: prepared ?? (await options.toolkit()), toolkitDir: null, guestPort };
  }
  return { toolkit: null, toolkitDir: null, guestPort: null };
}

/** Clone: the helper live-clones the VM (with the SSH forward when that is the way in). */
async function cloneVm(run: CaptureRun, reached: ReachedHost, vm: CaptureVm, kit: CloneKit): Promise<CloneOnHost> {
  const { context } = run;
  throwIfAborted(context.signal);
  const payload = await runHelperVerb(
    run,
    'clone',
    kit.guestPort === null ? { vm: vm.id } : { vm: vm.id, hostForwards: [{ hostPort: kit.guestPort, guestPort: 22 }] },
    band(context, 'clone', 0.15, 0.35, (step, message) => {
      // The helper names its strategy in the plan, before it touches the source: show it at once.
      const planned = step === 'plan' ? /\b(background-snapshot|precopy)\b/.exec(message ?? '')?.[1] : undefined;
      return planned === undefined ? `Cloning (${step})` : `Cloning by ${planned}`;
    }),
  );
  const clone = parseOrFail(cloneSchema, payload, 'clone', reached.facts.label);
  context.progress(0.35, `Clone ${clone.cloneId} ready (${clone.strategy})`);
  return { cloneId: clone.cloneId, strategy: clone.strategy, sessionDir: clone.sessionDir };
}

/**
 * Collect: over SSH in the clone when that is the way in, then by the helper for what the guest agent
 * (or nothing) can reach; over SSH only the memory dump is left to the helper.
 */
async function collectInClone(run: CaptureRun, reached: ReachedHost, access: AccessPlan, kit: CloneKit, clone: CloneOnHost, paths: LocalPaths): Promise<Collected> {
  const { host, request, context } = run;
  const { plan, steps } = access;
  const collectLabel = (step: string): string => `Collecting (${step.replace(/^collect:/, '')})`;
  const overSsh =
    plan.access === 'ssh' && kit.guestPort !== null && kit.toolkit !== null
      ? await collectThroughGuestSsh(host, request, kit.guestPort, kit.toolkit, steps, paths.stagingDir, band(context, 'ssh', 0.35, 0.6, collectLabel))
      : null;
  const helperSteps = overSsh === null ? steps : steps.filter((step) => !needsGuestAccess(step.id));
  const collectArgs: Record<string, unknown> = { cloneId: clone.cloneId, access: plan.access === 'ssh' ? 'none' : plan.access, steps: helperCollectSteps(helperSteps) };
  if (kit.toolkitDir !== null) collectArgs['toolkit'] = kit.toolkitDir;
  const fromHelper =
    helperSteps.length === 0
      ? null
      : parseCollectPayload(await runHelperVerb(run, 'collect', collectArgs, band(context, 'collect', overSsh === null ? 0.35 : 0.6, 0.7, collectLabel)), reached.facts.label);
  const collectedAt = new Date().toISOString();
  clone.sessionDir = fromHelper?.sessionDir ?? clone.sessionDir;
  return { overSsh, fromHelper, collectedAt };
}

/** The memory dump stays on the host when retention says so; everything else the helper made comes down. */
function keptMemoryDump(run: CaptureRun, artifact: { readonly role: string }): boolean {
  return artifact.role === 'memory-dump' && run.retention.memoryDump === 'keep-on-host';
}

/** Download and verify: every helper artifact to download comes to the staging folder, checked against its digest. */
async function downloadArtifacts(run: CaptureRun, clone: CloneOnHost, collected: Collected, paths: LocalPaths): Promise<StagedArtifact[]> {
  const { host, request, context } = run;
  const toDownload = (collected.fromHelper?.artifacts ?? []).filter((artifact) => !keptMemoryDump(run, artifact));
  const totalBytes = toDownload.reduce((sum, artifact) => sum + artifact.size, 0) || 1;
  let doneBytes = 0;
  const staged: StagedArtifact[] = [...(collected.overSsh?.artifacts ?? [])];
  await mkdir(paths.stagingDir, { recursive: true, mode: 0o700 });
  for (const artifact of toDownload) {
    throwIfAborted(context.signal);
    const localPath = join(paths.stagingDir, ...artifact.path.split('/'));
    const base = doneBytes;
    await host.download(request.hostId, `${clone.sessionDir}/${artifact.path}`, localPath, artifact, {
      signal: context.signal,
      onBytes: (bytes) => context.progress(0.7 + (0.15 * (base + bytes)) / totalBytes, `Downloading ${artifact.path}`),
    });
    doneBytes += artifact.size;
    staged.push({ artifact, localPath, verifiedAt: new Date().toISOString() });
  }
  return staged;
}

type WrittenCapture = Awaited<ReturnType<typeof writeCaptureBundle>>;

/** Detect and seal: writes the bundle (the detector's findings, custody, signature) and refuses one that does not verify. */
async function sealBundle(
  run: CaptureRun,
  reached: ReachedHost,
  vm: CaptureVm,
  kit: CloneKit,
  clone: CloneOnHost,
  collected: Collected,
  staged: readonly StagedArtifact[],
  paths: LocalPaths,
): Promise<WrittenCapture> {
  const { context, options } = run;
  context.progress(0.86, 'Writing the capture bundle');
  const written = await writeCaptureBundle(
    options.caseDir,
    paths.name,
    {
      identity: {
        captureId: run.captureId,
        toolVersion: options.toolVersion,
        helperVersion: reached.helperVersion,
        host: { name: reached.facts.name, hostKeySha256: reached.facts.hostKeySha256 },
        vm: { name: vm.name ?? vm.id, uuid: manifestUuid(vm.uuid, vm.id) },
        cloneId: clone.cloneId,
        startedAt: run.startedAt,
      },
      artifacts: [...staged],
      commands: [...run.commands, ...(collected.overSsh?.commands ?? []), ...(collected.fromHelper?.commands ?? []).map((command) => ({ ...command, argv: [...command.argv] }))],
      toolkitManifestPath: kit.toolkit === null ? null : kit.toolkit.manifestPath,
      actor: options.actor,
      collectedAt: collected.collectedAt,
      endedAt: new Date().toISOString(),
      ...(options.signer === undefined ? {} : { signer: options.signer }),
    },
    context.signal,
  );
  if (!written.integrity.verified) {
    const problem = written.integrity.problems[0];
    throw new WorkbenchFailure(problem?.code ?? 'BUNDLE_HASH_MISMATCH', `The packed capture does not verify: ${problem?.message ?? 'unknown problem'}`, {
      subject: written.bundlePath,
    });
  }
  return written;
}

/** Keep on the host: moves what retention keeps out of the session folder before the clone goes; null when nothing stays. */
async function keepOnHost(run: CaptureRun, clone: CloneOnHost, collected: Collected, paths: LocalPaths): Promise<string | null> {
  const artifacts = collected.fromHelper?.artifacts ?? [];
  const keepPaths = (run.retention.hostArtifacts === 'keep' ? artifacts : artifacts.filter((artifact) => keptMemoryDump(run, artifact))).map((artifact) => artifact.path);
  if (keepPaths.length === 0) return null;
  run.context.progress(0.93, 'Keeping artifacts on the host');
  return run.host.keep(run.request.hostId, clone.sessionDir, keepPaths, paths.name);
}

/** The outcome the job reports: what was written, skipped (planned first) and failed. */
function captureOutcome(run: CaptureRun, access: AccessPlan, clone: CloneOnHost, collected: Collected, written: WrittenCapture, keptOnHost: string | null): CaptureOutcome {
  const { plan, steps } = access;
  const reported = [...(collected.overSsh?.skipped ?? []), ...(collected.fromHelper?.skipped ?? [])];
  const skipped = [...plan.skipped, ...reported.filter((skip) => !plan.skipped.some((planned) => planned.step === skip.step))];
  return {
    jobId: run.context.jobId,
    bundlePath: written.bundlePath,
    access: collected.overSsh === null ? (collected.fromHelper?.access ?? plan.access) : 'ssh',
    strategy: clone.strategy,
    cloneId: clone.cloneId,
    artifacts: written.artifacts,
    skipped,
    failed: explainGoneTargets(steps, [...(collected.overSsh?.failed ?? []), ...(collected.fromHelper?.failed ?? [])], written.processPids),
    processCount: written.processCount,
    findingCount: written.findingCount,
    verified: written.integrity.verified,
    keptOnHost,
  };
}

/**
 * Tear down: removes the local leftovers and destroys the clone; returns the destroy's failure (null when it went).
 *
 * Only the packed .civic stays; a half-written folder is never left looking like a capture. The clone
 * gets its own signal, so a cancelled capture still tears it down.
 */
async function tearDown(run: CaptureRun, reached: ReachedHost, clone: CloneOnHost, paths: LocalPaths): Promise<unknown> {
  const { context, options } = run;
  await rm(paths.stagingDir, { recursive: true, force: true });
  await rm(join(options.caseDir, paths.name), { recursive: true, force: true }).catch(() => undefined);
  context.progress(0.95, `Destroying clone ${clone.cloneId}`);
  const teardown = new AbortController();
  try {
    await runHelperVerb(run, 'destroy', { cloneId: clone.cloneId }, { ...band(context, 'destroy', 0.95, 0.99, (step) => `Destroying the clone (${step})`), signal: teardown.signal });
    return null;
  } catch (error) {
    log.error(`destroying clone ${clone.cloneId} on ${reached.facts.label} failed (${toWorkbenchError(error).code}); session ${clone.sessionDir}`);
    return error;
  }
}

/** Everything done while the clone exists: collect, download and verify, detect and seal, keep, report. */
async function captureFromClone(run: CaptureRun, reached: ReachedHost, vm: CaptureVm, access: AccessPlan, kit: CloneKit, clone: CloneOnHost, paths: LocalPaths): Promise<CaptureOutcome> {
  const collected = await collectInClone(run, reached, access, kit, clone, paths);
  const staged = await downloadArtifacts(run, clone, collected, paths);
  const written = await sealBundle(run, reached, vm, kit, clone, collected, staged, paths);
  const keptOnHost = await keepOnHost(run, clone, collected, paths);
  return captureOutcome(run, access, clone, collected, written, keptOnHost);
}

/**
 * Runs one capture: connect, deploy the helper, upload the toolkit, clone, collect in the clone,
 * download and verify every artifact, detect, write, seal and pack the bundle, and always destroy the
 * clone (on success, error and cancel alike). The production VM is only touched by the helper's clone,
 * which keeps it running.
 */
export async function runCapture(host: CaptureHost, request: CaptureRequest, context: JobContext, options: CapturePipelineOptions): Promise<CaptureOutcome> {
  const run: CaptureRun = {
    host,
    request,
    context,
    options,
    retention: request.retention ?? defaultRetention,
    startedAt: new Date().toISOString(),
    captureId: randomUUID(),
    commands: [],
  };
  const prepared = await prepareToolkit(run);
  const reached = await reachHost(run);
  const vm = await findVm(run, reached);
  const access = planAccess(run, vm);
  const kit = await readyWayIn(run, access, prepared);
  const clone = await cloneVm(run, reached, vm, kit);
  const paths: LocalPaths = { stagingDir: join(options.caseDir, `.staging-${run.captureId}`), name: captureName(vm.name ?? vm.id, run.startedAt, clone.cloneId) };

  let outcome: CaptureOutcome;
  let teardownFailure: unknown;
  try {
    outcome = await captureFromClone(run, reached, vm, access, kit, clone, paths);
  } finally {
    teardownFailure = await tearDown(run, reached, clone, paths);
  }
  // Reached only when the capture itself succeeded: then a clone left behind is the error to report.
  if (teardownFailure !== null) throw teardownFailure;
  return outcome;
}
