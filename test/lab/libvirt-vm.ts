import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LabError } from './lab-error';
import { waitForPidFile } from './libvirt-daemon';
import { virsh } from './virsh';
import { guestCommandLine, LAB_MACHINE_TYPE, LAB_MEMORY_MIB, type LabVmSpec } from './vm-catalog';

export { ensureLibvirtd } from './libvirt-daemon';

/** XML namespace of the lab's mark in a domain's metadata: which lab folder's run defined it. */
export const LAB_DOMAIN_METADATA_NS = 'https://civic-workbench.invalid/test/lab';
export { LIBVIRT_URI, virsh } from './virsh';

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
  <metadata><civiclab:lab xmlns:civiclab='${LAB_DOMAIN_METADATA_NS}' run='${escapeXml(launch.runDir)}'/></metadata>
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

/**
 * Defines and starts the domain (replacing a leftover one of the same name); returns QEMU's PID.
 *
 * On failure the domain is destroyed and undefined again: nothing stays defined pointing at lab
 * files that `down` removes.
 */
export async function startLibvirtVm(launch: LibvirtVmLaunch, log: (line: string) => void = () => undefined): Promise<number> {
  await claimDomainName(launch.spec.name, launch.runDir, log);
  const xmlPath = join(launch.runDir, `${launch.spec.name}.xml`);
  await writeFile(xmlPath, domainXml(launch));
  try {
    await virsh(['define', xmlPath]);
    // A libvirtd started a moment ago has been seen to kill the first QEMU it launches; one retry.
    for (let attempt = 1; ; attempt++) {
      const start = await virsh(['start', launch.spec.name], attempt < 2);
      if (start.code === 0) break;
      await delay(1000);
    }
    return await waitForPidFile(`/run/libvirt/qemu/${launch.spec.name}.pid`, `qemu for ${launch.spec.name}`);
  } catch (error) {
    await removeLibvirtVm(launch.spec.name).catch(() => undefined);
    throw error;
  }
}

/**
 * Makes the domain name free for this lab: a stopped leftover is undefined, a running one refused,
 * unless its metadata proves this lab folder's run dir defined it (an interrupted run of this lab).
 *
 * Domain names are machine-wide, so a running one without that mark belongs to another lab folder
 * (a lab's own `up` takes its old VMs down first). Call it before recording the domain, or `down`
 * would destroy theirs.
 */
export async function claimDomainName(name: string, runDir: string, log: (line: string) => void = () => undefined): Promise<void> {
  const state = await libvirtDomainState(name);
  if (state === 'absent') return;
  if (state === 'running' || state === 'paused') {
    if (labRunOfDomainXml((await virsh(['dumpxml', name], true)).stdout) !== escapeXml(runDir)) {
      throw new LabError(`libvirt domain ${name} already runs`, `run lab down in the lab folder that started it, or: virsh destroy ${name}`);
    }
  }
  await removeLibvirtVm(name);
  log(`removed leftover libvirt domain ${name} (${state}) of an earlier run`);
}

/** The lab run dir a domain's metadata names (XML-escaped as written), or null when it has no lab mark. */
export function labRunOfDomainXml(xml: string): string | null {
  // libvirt re-serialises metadata, so either quote style may come back.
  const ns = LAB_DOMAIN_METADATA_NS.replace(/[.]/g, '\\.');
  const match = new RegExp(`xmlns:civiclab=["']${ns}["']\\s+run=["']([^"']*)["']`).exec(xml);
  return match?.[1] ?? null;
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

/**
 * The domain state as `virsh domstate` prints it (`running`, `paused`, `shut off`), or `absent`.
 *
 * Only libvirt's own "no such domain" answer means absent; any other failure (libvirtd not
 * answering, a call cut short) rejects, so no caller mistakes it for a free name.
 */
export async function libvirtDomainState(name: string): Promise<string> {
  const result = await virsh(['domstate', name], true);
  if (result.code === 0) return result.stdout.trim();
  if (/failed to get domain|domain not found/i.test(result.stderr)) return 'absent';
  throw new LabError(`virsh domstate ${name} failed (exit ${result.code})`, result.stderr.trim());
}

/** Destroys and undefines the domain; a domain that does not exist is fine, one that stays is an error. */
export async function removeLibvirtVm(name: string): Promise<void> {
  if ((await libvirtDomainState(name)) === 'absent') return;
  await virsh(['destroy', name], true);
  await virsh(['undefine', name], true);
  const after = await libvirtDomainState(name);
  if (after !== 'absent') throw new LabError(`libvirt domain ${name} is still defined (${after}) after destroy and undefine`, `virsh -c qemu:///system undefine ${name}`);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}
