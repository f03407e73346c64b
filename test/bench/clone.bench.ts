import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LabError } from '../lab/lab-error';
import { REPOSITORY_ROOT } from '../lab/lab-paths';
import { withQmp, type QmpClient } from '../lab/qmp-client';
import { median, type BenchRow, type BenchSection } from './bench-table';
import {
  bootCloneSource,
  cleanUpOnInterrupt,
  findOrBuildLabImage,
  rssMiB,
  startIncomingVm,
  startMemoryWorkload,
  stopVm,
  type CloneSourceVm,
  type GuestImage,
  type IncomingVm,
} from './clone-vm';

/** Clone strategies the helper offers (postcopy is never used). */
const STRATEGIES = ['background-snapshot', 'precopy'] as const;

type Strategy = (typeof STRATEGIES)[number];

/** One VM size to measure, and how many runs of each strategy and of the baseline. */
export interface CloneBenchSize {
  readonly memoryMiB: number;
  readonly runs: number;
}

/** Sizes measured by `npm run bench -- --only clone`. */
export const DEFAULT_CLONE_SIZES: readonly CloneBenchSize[] = [
  { memoryMiB: 256, runs: 3 },
  { memoryMiB: 1024, runs: 3 },
];

/** What the helper's `clone` result reports, the fields this bench reads. */
interface CloneResult {
  readonly cloneId: string;
  readonly strategy: string;
  readonly sourcePauseMs: number;
  readonly cloneActivationMs: number;
  readonly bytesMoved: number;
  readonly cloneRssBytes: number | null;
  readonly qemuDowntimeMs?: number;
}

/** One plain QMP `migrate` to a `-incoming` QEMU, as QEMU reports it. */
interface MigrateResult {
  readonly downtimeMs: number;
  readonly totalMs: number;
  /** From the source's STOP event to the destination's RESUME event (both QMP timestamps). */
  readonly activationMs: number;
  readonly transferredBytes: number;
  readonly destinationRssMiB: number | null;
}

/** Facts about the source that must be the same before and after every run. */
interface SourceFacts {
  readonly status: string;
  readonly migrationActive: boolean;
  readonly chain: readonly string[];
  readonly nodes: readonly string[];
  readonly maxBandwidth: number | undefined;
  readonly capabilities: Readonly<Record<string, boolean>>;
}

const HELPER = join(REPOSITORY_ROOT, 'resources', 'helper', 'civic-helper');
/** The helper raises max-bandwidth to this for its copy (clone.py FAST_BANDWIDTH); the baseline does too. */
const FAST_BANDWIDTH = 10 * 1024 ** 3;
const MiB = 1024 * 1024;
const HELPER_TIMEOUT_MS = 600_000;
const MIGRATE_TIMEOUT_MS = 600_000;

const log = (line: string): void => {
  process.stderr.write(`bench clone: ${line}\n`);
};

/**
 * Live clone of a running Linux guest by the real helper, per strategy and RAM size, beside a plain
 * QMP `migrate` of the same VM to a `-incoming` QEMU.
 */
export async function benchClone(sizes: readonly CloneBenchSize[] = DEFAULT_CLONE_SIZES): Promise<BenchSection> {
  const image = await findOrBuildLabImage(log);
  const rows: BenchRow[] = [];
  for (const size of sizes) rows.push(...(await benchOneSize(image, size)));
  return {
    title: 'Live clone: source pause and clone activation (helper, real Linux guest)',
    description:
      'A throwaway lab guest (qemu-ga, the lab workload, a random-filled tmpfs ballast of a quarter of RAM and a loop ' +
      'rewriting 8 MiB every 0.2 s) is cloned by `civic-helper clone` then `destroy`ed; after every run the source is ' +
      'checked `running` with the same disk chain, no clone QEMU left and no session left under the helper root. ' +
      'Values are median (min to max). Source pause and clone activation are the helper\'s own measures. Baseline: a plain ' +
      'QMP `migrate` of the same VM to a second QEMU started with `-incoming` (max-bandwidth raised to 10 GiB/s as the ' +
      'helper does), downtime and total time as QEMU reports them, activation from the source\'s STOP event to the ' +
      'destination\'s RESUME event; the destination is then stopped and the source, left in `postmigrate`, continued. Everything runs under TCG (no usable KVM here) on 2 cores shared with other work: ' +
      'guest memory is slower to touch and the vCPU competes with the migration thread, so absolute numbers are far ' +
      'above what KVM gives; compare strategies with each other and with the baseline.',
    rows,
  };
}

async function benchOneSize(image: GuestImage, size: CloneBenchSize): Promise<BenchRow[]> {
  log(`booting a ${size.memoryMiB} MiB source`);
  const booted = await bootCloneSource(image, size.memoryMiB);
  const vm = booted.vm;
  const root = join(vm.workDir, 'root');
  const forgetClones = cleanUpOnInterrupt(() => killClonesUnder(root));
  try {
    const ballastMiB = await startMemoryWorkload(vm);
    log(`${size.memoryMiB} MiB source running, ballast ${ballastMiB} MiB`);
    const pristine = await sourceFacts(vm);
    if (pristine.status !== 'running') throw new LabError(`source is ${pristine.status} before the first run`);
    const clones = new Map<Strategy, CloneResult[]>();
    for (const strategy of STRATEGIES) {
      const results: CloneResult[] = [];
      for (let run = 0; run < size.runs; run += 1) {
        const result = await cloneAndDestroy(vm, root, strategy);
        log(
          `${size.memoryMiB} MiB ${strategy} run ${run + 1}: pause ${result.sourcePauseMs.toFixed(1)} ms, activation ` +
            `${result.cloneActivationMs.toFixed(0)} ms, ${(result.bytesMoved / MiB).toFixed(0)} MiB moved`,
        );
        await verifyClean(vm, root, pristine);
        results.push(result);
      }
      clones.set(strategy, results);
    }
    const migrations: MigrateResult[] = [];
    for (let run = 0; run < size.runs; run += 1) {
      const result = await plainMigrate(vm, `bench-incoming-${run}`);
      log(`${size.memoryMiB} MiB plain migrate run ${run + 1}: downtime ${result.downtimeMs} ms, total ${result.totalMs} ms`);
      await verifyClean(vm, root, pristine);
      migrations.push(result);
    }
    return sizeRows(size, ballastMiB, clones, migrations);
  } finally {
    await cleanUp(vm, root);
    forgetClones();
    await stopVm(booted.process);
    await rm(vm.workDir, { recursive: true, force: true });
    booted.forgetWorkDir();
  }
}

function sizeRows(size: CloneBenchSize, ballastMiB: number, clones: ReadonlyMap<Strategy, readonly CloneResult[]>, migrations: readonly MigrateResult[]): BenchRow[] {
  const label = `${size.memoryMiB} MiB`;
  const downtime = `plain migrate downtime (QEMU): ${spread(migrations.map((m) => m.downtimeMs), formatMs)}`;
  const activation = `plain migrate, destination running: ${spread(migrations.map((m) => m.activationMs), formatMs)}`;
  const rows: BenchRow[] = [];
  for (const strategy of STRATEGIES) {
    const results = clones.get(strategy) ?? [];
    const rss = results.map((r) => r.cloneRssBytes).filter((bytes): bytes is number => bytes !== null);
    const qemuDowntime = results.map((r) => r.qemuDowntimeMs).filter((ms): ms is number => ms !== undefined);
    rows.push({
      name: `${label}, ${strategy}: source pause`,
      value: spread(results.map((r) => r.sourcePauseMs), formatMs),
      baseline: downtime,
      note: `N=${results.length}` + (qemuDowntime.length ? `; QEMU's own downtime ${spread(qemuDowntime, formatMs)}` : ''),
    });
    rows.push({
      name: `${label}, ${strategy}: clone activation`,
      value: spread(results.map((r) => r.cloneActivationMs), formatMs),
      baseline: activation,
      note: `moved ${spread(results.map((r) => r.bytesMoved / MiB), formatMiB)}; clone RSS ${rss.length ? spread(rss.map((bytes) => bytes / MiB), formatMiB) : 'unknown'}`,
    });
  }
  rows.push({
    name: `${label}, plain QMP migrate (baseline)`,
    value: `downtime ${spread(migrations.map((m) => m.downtimeMs), formatMs)}; total ${spread(migrations.map((m) => m.totalMs), formatMs)}`,
    note:
      `N=${migrations.length}; RAM transferred ${spread(migrations.map((m) => m.transferredBytes / MiB), formatMiB)}; ` +
      `destination RSS ${spread(migrations.map((m) => m.destinationRssMiB).filter((value): value is number => value !== null), formatMiB)}; guest ballast ${ballastMiB} MiB`,
  });
  return rows;
}

async function cloneAndDestroy(vm: CloneSourceVm, root: string, strategy: Strategy): Promise<CloneResult> {
  // A generous budget: this measures the pause, it does not enforce one (TCG pauses are long).
  const clone = (await runHelper(vm, root, 'clone', { vm: vm.vmId, strategy, maxPauseMs: 60_000, timeoutSeconds: 600 })) as unknown as CloneResult;
  if (clone.strategy !== strategy) throw new LabError(`helper used ${clone.strategy} instead of ${strategy}`);
  const destroyed = await runHelper(vm, root, 'destroy', { cloneId: clone.cloneId });
  if (destroyed['removed'] !== true) throw new LabError(`destroy of ${clone.cloneId} did not remove it`);
  return clone;
}

/** Runs the real helper to its end; returns the result payload or throws its error line. */
async function runHelper(vm: CloneSourceVm, root: string, verb: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const run = await runHelperProcess([verb, '--root', root, '--qmp-dir', vm.qmpDir, '--json-args', JSON.stringify(args)]);
  const messages = run.stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { type?: string; payload?: Record<string, unknown>; code?: string; message?: string; detail?: unknown });
  const result = messages.find((message) => message.type === 'result');
  if (result?.payload && run.code === 0) return result.payload;
  const error = messages.find((message) => message.type === 'error');
  throw new LabError(
    `helper ${verb} failed: ${error ? `${error.code}: ${error.message}` : `exit ${run.code} without a result`}`,
    (error?.detail ? JSON.stringify(error.detail).slice(0, 2000) : '') || run.stderr.trim().slice(-2000),
  );
}

/** Spawns the helper; stdin stays open so a run past the timeout can be sent a cancel line. */
function runHelperProcess(args: readonly string[]): Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(HELPER, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    // Interrupted mid-run, the helper is killed outright; the clones it started are killed by PID after it.
    const forget = cleanUpOnInterrupt(() => child.kill('SIGKILL'));
    const timer = setTimeout(() => child.stdin.write('{"type":"cancel"}\n'), HELPER_TIMEOUT_MS);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => undefined);
    child.once('error', (error) => {
      clearTimeout(timer);
      forget();
      reject(new LabError(`cannot run ${HELPER}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      forget();
      resolve({ code: code ?? 128 + (signal ? constants.signals[signal] : 0), stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

/**
 * One plain migration to a fresh `-incoming` QEMU; then the destination is stopped and the source
 * continued, so it keeps running as before.
 */
async function plainMigrate(vm: CloneSourceVm, name: string): Promise<MigrateResult> {
  const incoming = await startIncomingVm(vm, name);
  try {
    return await withQmp(vm.qmpSocketPath, (source) =>
      withQmp(incoming.qmpSocketPath, async (destination) => {
        const parameters = (await source.execute('query-migrate-parameters')) as { 'max-bandwidth'?: number };
        const originalBandwidth = parameters['max-bandwidth'];
        await source.execute('migrate-set-parameters', { 'max-bandwidth': FAST_BANDWIDTH });
        try {
          return await migrateAndMeasure(source, destination, incoming);
        } finally {
          await stopVm(incoming);
          await resumeSource(source);
          if (originalBandwidth !== undefined) await source.execute('migrate-set-parameters', { 'max-bandwidth': originalBandwidth });
        }
      }),
    );
  } finally {
    await stopVm(incoming);
  }
}

interface QueryMigrate {
  readonly status?: string;
  readonly downtime?: number;
  readonly 'total-time'?: number;
  readonly 'error-desc'?: string;
  readonly ram?: { readonly transferred?: number };
}

async function migrateAndMeasure(source: QmpClient, destination: QmpClient, incoming: IncomingVm): Promise<MigrateResult> {
  source.events.length = 0;
  destination.events.length = 0;
  await source.execute('migrate', { uri: incoming.migrationUri });
  const deadline = Date.now() + MIGRATE_TIMEOUT_MS;
  let info: QueryMigrate;
  for (;;) {
    info = (await source.execute('query-migrate')) as QueryMigrate;
    // Polling the destination too collects its RESUME event as it arrives.
    await destination.execute('query-status');
    if (info.status === 'completed') break;
    if (info.status === 'failed' || info.status === 'cancelled') throw new LabError(`plain migrate ${info.status}: ${info['error-desc'] ?? ''}`);
    if (Date.now() > deadline) {
      await source.execute('migrate_cancel');
      throw new LabError(`plain migrate did not complete within ${MIGRATE_TIMEOUT_MS} ms`);
    }
    await delay(5);
  }
  // QEMU may report downtime 0 right at `completed`; it is filled in a moment later.
  for (let attempt = 0; attempt < 50 && !info.downtime; attempt += 1) {
    await delay(20);
    info = (await source.execute('query-migrate')) as QueryMigrate;
  }
  const running = await waitForEvent(destination, 'RESUME');
  const stop = source.events.find((event) => event.event === 'STOP');
  if (!stop) throw new LabError('no STOP event from the source during the migration');
  return {
    downtimeMs: info.downtime ?? Number.NaN,
    totalMs: info['total-time'] ?? Number.NaN,
    activationMs: eventTimeMs(running) - eventTimeMs(stop),
    transferredBytes: info.ram?.transferred ?? Number.NaN,
    destinationRssMiB: await rssMiB(incoming.pid),
  };
}

async function waitForEvent(client: QmpClient, name: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = client.events.find((event) => event.event === name);
    if (found) return found;
    if (Date.now() > deadline) throw new LabError(`no ${name} event within 60 s`);
    await client.execute('query-status');
    await delay(10);
  }
}

function eventTimeMs(event: Record<string, unknown>): number {
  const timestamp = event.timestamp as { seconds?: number; microseconds?: number } | undefined;
  return (timestamp?.seconds ?? Number.NaN) * 1000 + (timestamp?.microseconds ?? 0) / 1000;
}

/** A completed plain migration leaves the source in `postmigrate`: continue it (it reactivates its disks). */
async function resumeSource(source: QmpClient): Promise<void> {
  const status = ((await source.execute('query-status')) as { status?: string }).status;
  const migration = ((await source.execute('query-migrate')) as QueryMigrate).status;
  if (migration && !['completed', 'failed', 'cancelled', 'none'].includes(migration)) await source.execute('migrate_cancel');
  if (status !== 'running') await source.execute('cont');
}

async function sourceFacts(vm: CloneSourceVm): Promise<SourceFacts> {
  return withQmp(vm.qmpSocketPath, async (client) => {
    const status = (await client.execute('query-status')) as { status: string };
    const migration = (await client.execute('query-migrate')) as QueryMigrate;
    const blocks = (await client.execute('query-block')) as { device: string; inserted?: { image: ImageInfo } }[];
    const nodes = (await client.execute('query-named-block-nodes', { flat: true })) as { 'node-name': string }[];
    const parameters = (await client.execute('query-migrate-parameters')) as { 'max-bandwidth'?: number };
    const capabilities = (await client.execute('query-migrate-capabilities')) as { capability: string; state: boolean }[];
    const chain: string[] = [];
    for (const block of blocks) {
      for (let image: ImageInfo | undefined = block.inserted?.image; image; image = image['backing-image']) chain.push(`${block.device}:${image.filename}`);
    }
    return {
      status: status.status,
      migrationActive: !!migration.status && !['completed', 'failed', 'cancelled', 'none'].includes(migration.status),
      chain,
      nodes: nodes.map((node) => node['node-name']).filter((name) => !name.startsWith('#')).sort(),
      maxBandwidth: parameters['max-bandwidth'],
      capabilities: Object.fromEntries(capabilities.map((capability) => [capability.capability, capability.state])),
    };
  });
}

interface ImageInfo {
  readonly filename: string;
  readonly 'backing-image'?: ImageInfo;
}

/** After every run: the source runs as before, no clone QEMU and no session are left. */
async function verifyClean(vm: CloneSourceVm, root: string, pristine: SourceFacts): Promise<void> {
  const facts = await sourceFacts(vm);
  if (JSON.stringify(facts) !== JSON.stringify(pristine)) {
    throw new LabError('the source changed', `before ${JSON.stringify(pristine)}, after ${JSON.stringify(facts)}`);
  }
  const clones = cloneProcessesUnder(root);
  if (clones.length) throw new LabError(`clone QEMU left running: ${clones.join(', ')}`);
  const left = sessionEntries(root);
  if (left.length) throw new LabError(`left under the helper root: ${left.join(', ')}`);
}

/** Root entries other than the helper's root lock file. */
function sessionEntries(root: string): string[] {
  try {
    return readdirSync(root).filter((name) => name !== '.root.lock');
  } catch {
    return [];
  }
}

/** PIDs of live processes whose argv names a `-pidfile` under the root: the helper's clone QEMUs. */
function cloneProcessesUnder(root: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const index = argv.indexOf('-pidfile');
    if (index >= 0 && argv[index + 1]?.startsWith(`${root}/`)) found.push(Number(name));
  }
  return found;
}

/** SIGKILLs, by PID, every clone QEMU the helper started under the root. */
function killClonesUnder(root: string): void {
  for (const pid of cloneProcessesUnder(root)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

/**
 * Leaves nothing behind after an error: the helper's `recover` undoes any session it journaled, and
 * a clone QEMU it could not stop is killed by PID.
 */
async function cleanUp(vm: CloneSourceVm, root: string): Promise<void> {
  if (sessionEntries(root).length) {
    log(`left under ${root}: ${sessionEntries(root).join(', ')}; running the helper's recover`);
    try {
      await runHelper(vm, root, 'recover', {});
    } catch (error) {
      log(`recover failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  killClonesUnder(root);
}

function spread(values: readonly number[], format: (value: number) => string): string {
  if (values.length === 0) return 'no runs';
  const middle = format(median(values));
  const low = format(Math.min(...values));
  const high = format(Math.max(...values));
  if (low === high) return middle;
  return `${middle} (${low} to ${high})`;
}

function formatMs(value: number): string {
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;
}

function formatMiB(value: number): string {
  return `${value.toFixed(0)} MiB`;
}
