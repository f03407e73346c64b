import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ensureImage } from '../lab/image-build';
import { LabError } from '../lab/lab-error';
import { resolveLabPaths } from '../lab/lab-paths';
import { guestShell, withQga } from '../lab/qga-client';
import { withQmp } from '../lab/qmp-client';
import { runCommand } from '../lab/run-command';
import { qemuArguments } from '../lab/qemu-vm';
import { LAB_VMS } from '../lab/vm-catalog';

/**
 * Registers a synchronous cleanup to run if the bench is stopped by SIGINT, SIGTERM or SIGHUP
 * (Node would otherwise exit at once and leave QEMUs running). Returns the function that unregisters it.
 */
export function cleanUpOnInterrupt(cleanup: () => void): () => void {
  installInterruptHandlers();
  interruptCleanups.push(cleanup);
  return () => {
    const index = interruptCleanups.indexOf(cleanup);
    if (index >= 0) interruptCleanups.splice(index, 1);
  };
}

const interruptCleanups: (() => void)[] = [];
let interruptHandlersInstalled = false;

function installInterruptHandlers(): void {
  if (interruptHandlersInstalled) return;
  interruptHandlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping every process it started\n`);
      // Newest first: helper and clone processes, then the VMs, then their folders.
      for (const cleanup of interruptCleanups.splice(0).reverse()) {
        try {
          cleanup();
        } catch {
          // Keep going: the remaining cleanups matter more than this one's failure.
        }
      }
      process.exit(128 + constants.signals[signal]);
    });
  }
}

/** Kernel and initramfs of a lab guest image. */
export interface GuestImage {
  readonly kernelPath: string;
  readonly initramfsPath: string;
}

/** A throwaway source VM booted from the lab image, with its QMP socket alone in a folder of its own. */
export interface CloneSourceVm {
  readonly memoryMiB: number;
  /** Private temp folder holding everything of this VM (and room for a helper root). */
  readonly workDir: string;
  /** The folder to pass to the helper as `--qmp-dir`: it holds only this VM's QMP socket. */
  readonly qmpDir: string;
  readonly qmpSocketPath: string;
  readonly qgaSocketPath: string;
  /** The helper's VM reference (`qmp:<socket>`). */
  readonly vmId: string;
  readonly pid: number;
  /** The QEMU argument vector, so a migration destination can be started with the same devices. */
  readonly argv: readonly string[];
  readonly diskPath: string;
}

/** A running VM: what {@link stopVm} needs. */
export interface VmProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  readonly logPath: string;
}

/** A QEMU started with `-incoming`, waiting for a plain migration of the source. */
export interface IncomingVm extends VmProcess {
  readonly qmpSocketPath: string;
  readonly migrationUri: string;
  readonly pid: number;
}

/** A booted source: the VM, its process, and the call that drops its folder from the interrupt cleanup once removed. */
export interface BootedSource {
  readonly vm: CloneSourceVm;
  readonly process: VmProcess;
  readonly forgetWorkDir: () => void;
}

const MiB = 1024 * 1024;
const BOOT_TIMEOUT_MS = 300_000;
const READY_MARKER = 'civic-lab: ready';

/**
 * The newest lab guest image in the cache, building one (as `lab up` does) when there is none.
 *
 * The shared cache may be rebuilt meanwhile, so callers copy the files before booting from them.
 */
export async function findOrBuildLabImage(log: (line: string) => void): Promise<GuestImage> {
  const cacheRoot = resolveLabPaths().cacheRoot;
  const imagesRoot = join(cacheRoot, 'images');
  const candidates = existsSync(imagesRoot)
    ? readdirSync(imagesRoot)
        .filter((name) => !name.startsWith('.'))
        .map((name) => join(imagesRoot, name))
        .filter((folder) => existsSync(join(folder, 'vmlinuz')) && existsSync(join(folder, 'initramfs.cpio')))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    : [];
  const newest = candidates[0];
  if (newest) return { kernelPath: join(newest, 'vmlinuz'), initramfsPath: join(newest, 'initramfs.cpio') };
  const built = await ensureImage({ cacheRoot, log });
  return { kernelPath: built.kernelPath, initramfsPath: built.initramfsPath };
}

/**
 * Boots the lab guest (clean variant, qemu-ga) at `memoryMiB` under TCG and waits until its workload runs.
 *
 * Devices and machine type match the lab VMs, so the helper's clone (or a plain `-incoming` QEMU with
 * the same argv) accepts its migration stream. On any failure the VM is stopped and its folder removed.
 */
export async function bootCloneSource(image: GuestImage, memoryMiB: number): Promise<BootedSource> {
  // Short absolute path: unix sockets under the helper root are limited to 107 bytes.
  const workDir = await mkdtemp('/tmp/cwb-');
  const forgetWorkDir = cleanUpOnInterrupt(() => rmSync(workDir, { recursive: true, force: true }));
  let started: VmProcess | null = null;
  try {
    const qmpDir = join(workDir, 'qmp');
    const bootDir = join(workDir, 'boot');
    await mkdir(qmpDir);
    await mkdir(bootDir);
    const kernelPath = join(bootDir, 'vmlinuz');
    const initramfsPath = join(bootDir, 'initramfs.cpio');
    await copyFile(image.kernelPath, kernelPath);
    await copyFile(image.initramfsPath, initramfsPath);
    const diskPath = join(workDir, 'disk.qcow2');
    await runCommand('qemu-img', ['create', '-q', '-f', 'qcow2', diskPath, '64M']);
    const qmpSocketPath = join(qmpDir, 'source.qmp');
    const qgaSocketPath = join(workDir, 'source.qga');
    const consolePath = join(workDir, 'source.console.log');
    const argv = guestArguments({ name: 'bench-clone-source', memoryMiB, kernelPath, initramfsPath, diskPath, qmpSocketPath, qgaSocketPath, consolePath });
    started = startQemu(argv, join(workDir, 'source.qemu.log'));
    const pid = started.child.pid!;
    await waitForGuest(started, qgaSocketPath, consolePath);
    const vm: CloneSourceVm = { memoryMiB, workDir, qmpDir, qmpSocketPath, qgaSocketPath, vmId: `qmp:${qmpSocketPath}`, pid, argv, diskPath };
    return { vm, process: started, forgetWorkDir };
  } catch (error) {
    if (started) await stopVm(started);
    await rm(workDir, { recursive: true, force: true });
    forgetWorkDir();
    throw error;
  }
}

/**
 * Makes the guest's memory look like a working system's: a random-filled ballast in tmpfs (a quarter
 * of RAM), and a loop rewriting 8 MiB every 0.2 s so precopy has pages dirtied while it copies.
 *
 * Returns the ballast size in MiB.
 */
export async function startMemoryWorkload(vm: CloneSourceVm): Promise<number> {
  const ballastMiB = Math.floor(vm.memoryMiB / 4);
  const seedMiB = 16;
  const script = [
    `dd if=/dev/urandom of=/tmp/seed bs=1M count=${seedMiB} 2>/dev/null`,
    `i=0; while [ $i -lt ${ballastMiB / seedMiB} ]; do cat /tmp/seed; i=$((i+1)); done > /tmp/ballast`,
    // Every descriptor to /dev/null: qemu-ga reports the command finished only once its pipes close.
    '(while :; do dd if=/tmp/seed of=/tmp/hot bs=1M count=8 conv=notrunc 2>/dev/null; sleep 0.2; done) </dev/null >/dev/null 2>&1 &',
    'du -m /tmp/ballast',
  ].join('\n');
  const result = await guestShell(vm.qgaSocketPath, script, 600_000);
  if (result.exitCode !== 0) throw new LabError(`guest memory workload failed: ${result.stderr.trim()}`);
  return ballastMiB;
}

/**
 * Starts a second QEMU with the source's devices, waiting with `-incoming` on a unix socket.
 *
 * It shares the source's disk image as a plain migration on shared storage does: an incoming QEMU
 * opens it inactive, and takes it over only when the migration completes.
 */
export async function startIncomingVm(vm: CloneSourceVm, name: string): Promise<IncomingVm> {
  const qmpSocketPath = join(vm.workDir, `${name}.qmp`);
  const migrationSocket = join(vm.workDir, `${name}.migrate`);
  const argv = replaceOption(
    replaceOption(
      replaceOption(vm.argv, '-qmp', `unix:${qmpSocketPath},server=on,wait=off`),
      '-serial',
      `file:${join(vm.workDir, `${name}.console.log`)}`,
    ),
    '-name',
    `${name},debug-threads=on`,
  ).map((argument) => argument.replace(`path=${vm.qgaSocketPath},`, `path=${join(vm.workDir, `${name}.qga`)},`));
  const started = startQemu([...argv, '-incoming', `unix:${migrationSocket}`], join(vm.workDir, `${name}.qemu.log`));
  try {
    await waitForQmp(started, qmpSocketPath);
  } catch (error) {
    await stopVm(started);
    throw error;
  }
  return { ...started, qmpSocketPath, migrationUri: `unix:${migrationSocket}`, pid: started.child.pid! };
}

/** Stops a VM this process started: SIGTERM, SIGKILL after 10 s; resolves once it has exited. */
export async function stopVm(vm: VmProcess): Promise<void> {
  if (vm.child.exitCode !== null || vm.child.signalCode !== null) return;
  vm.child.kill('SIGTERM');
  const killed = await Promise.race([vm.exited.then(() => true), delay(10_000).then(() => false)]);
  if (!killed) vm.child.kill('SIGKILL');
  await vm.exited;
}

/** The last lines of a QEMU log, for an error message. */
export async function logTail(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).split('\n').slice(-15).join('\n').trim();
  } catch {
    return '';
  }
}

/** Resident set of a process in MiB, or null when it is gone. */
export async function rssMiB(pid: number): Promise<number | null> {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? (Number(match[1]) * 1024) / MiB : null;
  } catch {
    return null;
  }
}

interface GuestLaunch {
  readonly name: string;
  readonly memoryMiB: number;
  readonly kernelPath: string;
  readonly initramfsPath: string;
  readonly diskPath: string;
  readonly qmpSocketPath: string;
  readonly qgaSocketPath: string;
  readonly consolePath: string;
}

function guestArguments(launch: GuestLaunch): string[] {
  // The lab's own VM layout (test/lab/qemu-vm.ts), clean and without host forwards, at another RAM
  // size, name and console file.
  const spec = LAB_VMS.find((vm) => vm.variant === 'clean' && vm.agent === 'qga');
  if (!spec) throw new LabError('the lab catalog has no clean VM with qemu-ga');
  const argv = qemuArguments({ ...launch, spec, forwards: [], logDir: dirname(launch.consolePath) });
  return replaceOption(
    replaceOption(replaceOption(argv, '-m', String(launch.memoryMiB)), '-name', `${launch.name},debug-threads=on`),
    '-serial',
    `file:${launch.consolePath}`,
  );
}

function replaceOption(argv: readonly string[], option: string, value: string): string[] {
  const index = argv.indexOf(option);
  if (index < 0 || index + 1 >= argv.length) throw new LabError(`no ${option} in the source argv`);
  return [...argv.slice(0, index + 1), value, ...argv.slice(index + 2)];
}

function startQemu(argv: readonly string[], logPath: string): VmProcess {
  const log = openSync(logPath, 'a');
  try {
    const child = spawn('qemu-system-x86_64', [...argv], { stdio: ['ignore', log, log] });
    const forget = cleanUpOnInterrupt(() => child.kill('SIGKILL'));
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    }).then(forget);
    if (child.pid === undefined) throw new LabError('cannot start qemu-system-x86_64', `see ${logPath}`);
    return { child, exited, logPath };
  } finally {
    closeSync(log);
  }
}

async function failIfExited(vm: VmProcess, what: string): Promise<void> {
  if (vm.child.exitCode !== null || vm.child.signalCode !== null) {
    throw new LabError(`QEMU exited while ${what}`, await logTail(vm.logPath));
  }
}

async function waitForQmp(vm: VmProcess, socketPath: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await failIfExited(vm, 'starting');
    try {
      await withQmp(socketPath, (client) => client.execute('query-status'), 2000);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await delay(50);
  }
}

async function waitForGuest(vm: VmProcess, qgaSocketPath: string, consolePath: string): Promise<void> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  // qemu-ga starts before the workload: wait for both the agent and init's ready line on the console.
  for (;;) {
    await failIfExited(vm, 'booting');
    const console = existsSync(consolePath) ? await readFile(consolePath, 'utf8') : '';
    if (console.includes(READY_MARKER)) break;
    if (Date.now() > deadline) throw new LabError(`guest not ready within ${BOOT_TIMEOUT_MS} ms`, consolePath);
    await delay(200);
  }
  await withQga(qgaSocketPath, (client) => client.execute('guest-ping'), Math.max(10_000, deadline - Date.now()));
}
