import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LabError } from './lab-error';
import { describeProcess, isProcessAlive, type LabProcess } from './process-tools';
import { runCommand } from './run-command';
import { guestCommandLine, LAB_MACHINE_TYPE, LAB_MEMORY_MIB, type LabVmSpec } from './vm-catalog';

/** The libvirt connection the lab uses (the system instance, as root). */
export const LIBVIRT_URI = 'qemu:///system';

const LIBVIRTD_PID_FILE = '/run/libvirtd.pid';
const VIRTLOGD_PID_FILE = '/run/virtlogd.pid';

/**
 * Makes sure virtlogd and libvirtd run, starting them by hand when they do not (there is no systemd).
 *
 * Returns only the daemons this call started: `down` must not stop a libvirtd someone else runs.
 */
export async function ensureLibvirtd(): Promise<readonly LabProcess[]> {
  const started: LabProcess[] = [];
  if (!(await runningFromPidFile(VIRTLOGD_PID_FILE, 'virtlogd'))) {
    await runCommand('virtlogd', ['-d']);
    started.push(await describeProcess('virtlogd', await waitForPidFile(VIRTLOGD_PID_FILE, 'virtlogd')));
  }
  if (!(await runningFromPidFile(LIBVIRTD_PID_FILE, 'libvirtd'))) {
    await runCommand('libvirtd', ['-d']);
    started.push(await describeProcess('libvirtd', await waitForPidFile(LIBVIRTD_PID_FILE, 'libvirtd')));
  }
  const deadline = Date.now() + 30_000;
  while ((await virsh(['version'], true)).code !== 0) {
    if (Date.now() > deadline) throw new LabError('libvirtd does not answer virsh', 'see /var/log/libvirt');
    await delay(200);
  }
  return started;
}

/** Paths a libvirt-run lab VM uses. */
export interface LibvirtVmLaunch {
  readonly spec: LabVmSpec;
  readonly kernelPath: string;
  readonly initramfsPath: string;
  readonly diskPath: string;
  readonly runDir: string;
  readonly logDir: string;
}

/**
 * The domain XML: `type='qemu'` (TCG), direct kernel boot, qga channel owned by libvirtd.
 *
 * QEMU runs as root (static DAC label) so it can read the lab's files without relabelling them.
 */
export function domainXml(launch: LibvirtVmLaunch): string {
  return `<domain type='qemu'>
  <name>${launch.spec.name}</name>
  <memory unit='MiB'>${LAB_MEMORY_MIB}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='${LAB_MACHINE_TYPE}'>hvm</type>
    <kernel>${escapeXml(launch.kernelPath)}</kernel>
    <initrd>${escapeXml(launch.initramfsPath)}</initrd>
    <cmdline>${escapeXml(guestCommandLine(launch.spec))}</cmdline>
  </os>
  <cpu mode='custom' match='exact'>
    <model fallback='forbid'>qemu64</model>
  </cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${escapeXml(launch.diskPath)}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='user'>
      <mac address='${launch.spec.mac}'/>
      <model type='virtio'/>
    </interface>
    <channel type='unix'>
      <source mode='bind'/>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <serial type='file'>
      <source path='${escapeXml(join(launch.logDir, `${launch.spec.name}.console.log`))}'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
  <seclabel type='static' model='dac' relabel='no'>
    <label>+0:+0</label>
  </seclabel>
</domain>
`;
}

/** Defines and starts the domain (replacing a leftover one of the same name); returns QEMU's PID. */
export async function startLibvirtVm(launch: LibvirtVmLaunch): Promise<number> {
  await claimDomainName(launch.spec.name);
  const xmlPath = join(launch.runDir, `${launch.spec.name}.xml`);
  await writeFile(xmlPath, domainXml(launch));
  await virsh(['define', xmlPath]);
  // A libvirtd started a moment ago has been seen to kill the first QEMU it launches; one retry.
  for (let attempt = 1; ; attempt++) {
    const start = await virsh(['start', launch.spec.name], attempt < 2);
    if (start.code === 0) break;
    await delay(1000);
  }
  return waitForPidFile(`/run/libvirt/qemu/${launch.spec.name}.pid`, 'qemu');
}

/**
 * Makes the domain name free for this lab: a stopped leftover is undefined, a running one refused.
 *
 * Domain names are machine-wide, so a running one belongs to another lab folder (a lab's own `up`
 * takes its old VMs down first). Call it before recording the domain, or `down` would destroy theirs.
 */
export async function claimDomainName(name: string): Promise<void> {
  const state = await libvirtDomainState(name);
  if (state === 'running' || state === 'paused') {
    throw new LabError(`libvirt domain ${name} already runs`, `run lab down in the lab folder that started it, or: virsh destroy ${name}`);
  }
  await removeLibvirtVm(name);
}

/** Waits until the guest agent answers `guest-ping` through libvirtd. */
export async function waitForLibvirtAgent(name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ping = await virsh(['qemu-agent-command', name, '--timeout', '2', '{"execute":"guest-ping"}'], true);
    if (ping.code === 0) return;
    if ((await libvirtDomainState(name)) !== 'running') throw new LabError(`${name} stopped while booting`);
    await delay(250);
  }
  throw new LabError(`qemu-ga in ${name} did not answer within ${timeoutMs} ms`);
}

/** Runs a qemu-ga command in a libvirt guest (libvirtd owns the agent socket) and returns `return`. */
export async function libvirtAgentCommand(name: string, command: string, args?: Record<string, unknown>): Promise<unknown> {
  const request = JSON.stringify(args ? { execute: command, arguments: args } : { execute: command });
  const { stdout } = await virsh(['qemu-agent-command', name, '--timeout', '10', request]);
  return (JSON.parse(stdout) as { return?: unknown }).return;
}

/** The domain state as `virsh domstate` prints it (`running`, `paused`, `shut off`), or `absent`. */
export async function libvirtDomainState(name: string): Promise<string> {
  const result = await virsh(['domstate', name], true);
  return result.code === 0 ? result.stdout.trim() : 'absent';
}

/** Destroys and undefines the domain; a domain that does not exist is fine. */
export async function removeLibvirtVm(name: string): Promise<void> {
  if ((await libvirtDomainState(name)) === 'absent') return;
  await virsh(['destroy', name], true);
  await virsh(['undefine', name], true);
}

/** Runs virsh against the lab's libvirt URI. */
export function virsh(args: readonly string[], allowFailure = false): ReturnType<typeof runCommand> {
  return runCommand('virsh', ['-c', LIBVIRT_URI, ...args], { allowFailure, timeoutMs: 60_000 });
}

async function runningFromPidFile(pidFile: string, comm: string): Promise<boolean> {
  const pid = await readPid(pidFile);
  if (pid === null || !(await isProcessAlive({ role: comm, pid, startTime: '' }))) return false;
  const actual = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
  return actual.trim() === comm;
}

async function waitForPidFile(pidFile: string, comm: string): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const pid = await readPid(pidFile);
    if (pid !== null && (await isProcessAlive({ role: comm, pid, startTime: '' }))) return pid;
    await delay(100);
  }
  throw new LabError(`${comm} wrote no PID to ${pidFile}`);
}

async function readPid(pidFile: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}
