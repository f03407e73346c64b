/** Names of the VMs the lab can start. */
export type LabVmName = 'lab-web' | 'lab-db' | 'lab-ssh';

/** Who runs a VM: a bare QEMU process, or libvirtd. */
export type LabVmKind = 'qemu' | 'libvirt';

/** Which guest personality the init script sets up. */
export type GuestVariant = 'clean' | 'compromised';

/** How the host reaches into the guest. */
export type GuestAgent = 'qga' | 'ssh';

/** The fixed description of one lab VM. */
export interface LabVmSpec {
  readonly name: LabVmName;
  readonly kind: LabVmKind;
  readonly variant: GuestVariant;
  readonly agent: GuestAgent;
  /** Guest TCP ports forwarded to 127.0.0.1 on the host. */
  readonly forwardedGuestPorts: readonly number[];
  /** Fixed MAC so a clone can carry the same device model. */
  readonly mac: string;
}

/** Every lab VM, in start order. */
export const LAB_VMS: readonly LabVmSpec[] = [
  { name: 'lab-web', kind: 'qemu', variant: 'compromised', agent: 'qga', forwardedGuestPorts: [80], mac: '52:54:00:c1:71:01' },
  { name: 'lab-db', kind: 'libvirt', variant: 'clean', agent: 'qga', forwardedGuestPorts: [], mac: '52:54:00:c1:71:02' },
  { name: 'lab-ssh', kind: 'qemu', variant: 'clean', agent: 'ssh', forwardedGuestPorts: [22, 80], mac: '52:54:00:c1:71:03' },
];

/** Machine type pinned for every lab VM: clones need exactly the same device model. */
export const LAB_MACHINE_TYPE = 'pc-q35-7.2';

/** Guest RAM in MiB. */
export const LAB_MEMORY_MIB = 256;

/** Parses a comma-separated VM list (`lab-web,lab-db`); an empty or missing list means all VMs. */
export function selectVms(list: string | readonly string[] | undefined): readonly LabVmSpec[] {
  const names = typeof list === 'string' ? list.split(',') : (list ?? []);
  const wanted = names.map((name) => name.trim()).filter(Boolean);
  if (wanted.length === 0) return LAB_VMS;
  const unknown = wanted.filter((name) => !LAB_VMS.some((spec) => spec.name === name));
  if (unknown.length > 0) {
    throw new Error(`unknown lab VM ${unknown.join(', ')}; known: ${LAB_VMS.map((spec) => spec.name).join(', ')}`);
  }
  return LAB_VMS.filter((spec) => wanted.includes(spec.name));
}

/** The kernel command line for a guest: console on serial, no reboot on panic, the personality. */
export function guestCommandLine(spec: Pick<LabVmSpec, 'variant' | 'agent'>): string {
  return `console=ttyS0 panic=-1 quiet civic.variant=${spec.variant} civic.agent=${spec.agent}`;
}
