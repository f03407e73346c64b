import { existsSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { LabError } from './lab-error';
import { describeProcess, isProcessAlive, type LabProcess } from './process-tools';
import { runCommand, withoutInheritedDescriptors } from './run-command';
import { virsh } from './virsh';
import { LAB_MACHINE_TYPE } from './vm-catalog';

// Why libvirtd runs with /dev/kvm hidden (docs/LAB.md, "libvirtd's cold start"): libvirt 9.0 keeps
// QEMU's capabilities in /var/cache/libvirt/qemu/capabilities and, on every lookup (each define,
// create, start, domcapabilities), virQEMUCapsIsValid compares the KVM verdict recorded at probe
// time (QEMU_CAPS_KVM from query-kvm) with one it takes now (virQEMUCapsKVMUsable: /dev/kvm
// readable and writable for the QEMU user). Where they differ (here a root-only 0600 node on a
// paravirtual nested host: the probe's QEMU got KVM, the check as libvirt-qemu does not), its
// debug log says "KVM was enabled when probing ..., but it is not available now" at each lookup
// and it probes QEMU again, twice (accel=kvm:tcg, then accel=tcg): 20-70 s per domain start.
// Every lab guest runs under TCG, so the lab's libvirtd sees, in a private mount namespace, a
// root-only character device with /dev/null's numbers at /dev/kvm: the QEMU user cannot open it
// and QEMU's KVM ioctls fail on it, so both verdicts say "no KVM" and the cache stays valid. (A
// regular file would do for the verdicts, but libvirt's per-domain /dev namespace refuses to move
// a file mount to /dev/kvm.)

const LIBVIRTD_PID_FILE = '/run/libvirtd.pid';
const VIRTLOGD_PID_FILE = '/run/virtlogd.pid';
const KVM_DEVICE = '/dev/kvm';
/** The root-only character device (numbers 1:3, /dev/null's) bind-mounted over /dev/kvm for libvirtd. */
export const KVM_STAND_IN = '/run/civic-lab-no-kvm';

/**
 * How long libvirtd may take from start until it answers with QEMU's capabilities computed.
 *
 * A cold start probes every installed qemu-system-* binary under TCG: 2-4 min measured with two
 * busy cores (docs/LAB.md); the deadline leaves room for a slower machine.
 */
export const LIBVIRTD_READY_TIMEOUT_MS = 15 * 60_000;

/** The command line that starts the lab's libvirtd: hidden KVM when the machine has a /dev/kvm. */
export function libvirtdStartCommand(kvmDeviceExists: boolean): { readonly file: string; readonly args: readonly string[] } {
  if (!kvmDeviceExists) return { file: 'libvirtd', args: ['-d'] };
  // Slave propagation: mounts made on the host later (test folders) still reach libvirtd, while
  // the bind mount over /dev/kvm stays inside its namespace.
  return {
    file: 'unshare',
    args: ['--mount', '--propagation', 'slave', '--', 'sh', '-c', `mount --bind "$1" ${KVM_DEVICE} && exec libvirtd -d`, 'sh', KVM_STAND_IN],
  };
}

function makedev(major: number, minor: number): number {
  return ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xff) << 12);
}

/**
 * How a running libvirtd sees /dev/kvm: `hidden` (the lab's stand-in), `absent`, or `device`.
 *
 * `device` on a machine whose KVM cannot run guests means every domain start re-probes QEMU.
 */
export async function libvirtdKvmView(pid: number): Promise<'hidden' | 'absent' | 'device'> {
  try {
    const seen = await stat(`/proc/${pid}/root${KVM_DEVICE}`);
    // The stand-in has /dev/null's numbers (1:3); KVM's misc device is 10:232.
    return seen.isCharacterDevice() && seen.rdev !== makedev(1, 3) ? 'device' : 'hidden';
  } catch {
    return 'absent';
  }
}

/**
 * Makes sure virtlogd and libvirtd run and libvirtd has QEMU's capabilities computed.
 *
 * Starts them by hand when they do not run (there is no systemd), libvirtd the one lab way
 * ({@link libvirtdStartCommand}). Returns only the daemons this call started: `down` must not stop a
 * libvirtd someone else runs. `onStarted` hears of each daemon as soon as it runs, so a caller can
 * record it before the (long) readiness wait, which may fail; `log` hears what is waited for.
 */
export async function ensureLibvirtd(
  log: (line: string) => void = () => undefined,
  onStarted: (daemon: LabProcess) => Promise<void> = async () => undefined,
): Promise<readonly LabProcess[]> {
  const started: LabProcess[] = [];
  if (!(await runningFromPidFile(VIRTLOGD_PID_FILE, 'virtlogd'))) {
    const virtlogd = withoutInheritedDescriptors('virtlogd', ['-d']);
    await runCommand(virtlogd.file, virtlogd.args);
    const daemon = await describeProcess('virtlogd', await waitForPidFile(VIRTLOGD_PID_FILE, 'virtlogd'));
    started.push(daemon);
    await onStarted(daemon);
  }
  const running = await runningFromPidFile(LIBVIRTD_PID_FILE, 'libvirtd');
  if (running === null) {
    const kvmExists = existsSync(KVM_DEVICE);
    if (kvmExists) await makeKvmStandIn();
    const command = libvirtdStartCommand(kvmExists);
    const clean = withoutInheritedDescriptors(command.file, command.args);
    await runCommand(clean.file, clean.args);
    const daemon = await describeProcess('libvirtd', await waitForPidFile(LIBVIRTD_PID_FILE, 'libvirtd'));
    started.push(daemon);
    await onStarted(daemon);
    log(`libvirtd (pid ${daemon.pid}) sees /dev/kvm: ${await libvirtdKvmView(daemon.pid)}`);
  } else if ((await libvirtdKvmView(running)) === 'device') {
    log(
      `libvirtd (pid ${running}) was started elsewhere and sees /dev/kvm: if KVM cannot run guests here, ` +
        'each domain start re-probes QEMU (tens of seconds); stop it and let the lab start its own (docs/LAB.md)',
    );
  }
  await waitForLibvirtdReady(LIBVIRTD_READY_TIMEOUT_MS, log);
  return started;
}

/**
 * Waits until libvirtd answers and has QEMU's capabilities for the lab's guests computed.
 *
 * `virsh domcapabilities` returns only once libvirtd holds valid capabilities for the binary, so
 * the first define or create after it does not wait behind a probe.
 */
export async function waitForLibvirtdReady(timeoutMs: number, log: (line: string) => void = () => undefined): Promise<void> {
  const startedAt = Date.now();
  const deadline = startedAt + timeoutMs;
  for (;;) {
    const remaining = deadline - Date.now();
    const answer = await virsh(['version'], true, Math.max(1000, Math.min(remaining, 60_000))).catch(() => null);
    if (answer?.code === 0) break;
    if (Date.now() > deadline) {
      throw new LabError(`libvirtd did not answer \`virsh version\` within ${Math.round(timeoutMs / 1000)} s`, 'see /var/log/libvirt/libvirtd.log');
    }
    await delay(200);
  }
  const answeredAt = Date.now();
  const remaining = Math.max(1000, deadline - Date.now());
  await virsh(['domcapabilities', '--virttype', 'qemu', '--arch', 'x86_64', '--machine', LAB_MACHINE_TYPE, '--emulatorbin', '/usr/bin/qemu-system-x86_64'], false, remaining).catch(
    (error: unknown) => {
      throw new LabError(
        `libvirtd answered but did not compute QEMU's capabilities (virsh domcapabilities) within ${Math.round(timeoutMs / 1000)} s of the start`,
        error instanceof Error ? error.message : String(error),
      );
    },
  );
  log(`libvirtd answered after ${((answeredAt - startedAt) / 1000).toFixed(1)} s, QEMU capabilities ready after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}

/** Makes {@link KVM_STAND_IN} anew: a character device 1:3 that only root may open. */
async function makeKvmStandIn(): Promise<void> {
  await rm(KVM_STAND_IN, { force: true });
  await runCommand('mknod', ['-m', '600', KVM_STAND_IN, 'c', '1', '3']);
}

/** The PID of the running daemon its PID file names, or null when none runs. */
async function runningFromPidFile(pidFile: string, comm: string): Promise<number | null> {
  const pid = await readPid(pidFile);
  if (pid === null || !(await isProcessAlive({ role: comm, pid, startTime: '' }))) return null;
  const actual = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
  return actual.trim() === comm ? pid : null;
}

/** Waits until a PID file names a live process and returns that PID. */
export async function waitForPidFile(pidFile: string, comm: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pid = await readPid(pidFile);
    if (pid !== null && (await isProcessAlive({ role: comm, pid, startTime: '' }))) return pid;
    await delay(100);
  }
  throw new LabError(`${comm} wrote no PID to ${pidFile} within ${Math.round(timeoutMs / 1000)} s`);
}

async function readPid(pidFile: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
