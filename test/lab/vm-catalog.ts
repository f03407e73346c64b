/** Names of the VMs the lab can start. */
export type LabVmName = 'lab-web' | 'lab-db' | 'lab-ssh' | 'lab-static';

/** Who runs a VM: a bare QEMU process, or libvirtd. */
export type LabVmKind = 'qemu' | 'libvirt';

/** Which guest personality the init script sets up. */
export type GuestVariant = 'clean' | 'compromised';

/** How the host reaches into the guest. */
export type GuestAgent = 'qga' | 'ssh';

/** A static guest address and the QEMU user network (slirp) laid out around it. */
export interface LabStaticNetwork {
  /** The guest's address and prefix (`192.168.77.10/24`), given to init.sh as `civic.net=`. */
  readonly address: string;
  /** slirp's `net=`, `host=` (the guest's gateway, `civic.gw=`) and `dns=`. */
  readonly net: string;
  readonly host: string;
  readonly dns: string;
}

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
  /** A static address on its own subnet (bare QEMU only); without it the guest takes 10.0.2.15/24. */
  readonly staticNetwork?: LabStaticNetwork;
  /** Started only when named (`--vms`): every integration run pays for each VM of the default set. */
  readonly onlyWhenNamed?: boolean;
}

/** Every lab VM, in start order. */
export const LAB_VMS: readonly LabVmSpec[] = [
  { name: 'lab-web', kind: 'qemu', variant: 'compromised', agent: 'qga', forwardedGuestPorts: [80, 8080], mac: '52:54:00:c1:71:01' },
  { name: 'lab-db', kind: 'libvirt', variant: 'clean', agent: 'qga', forwardedGuestPorts: [], mac: '52:54:00:c1:71:02' },
  { name: 'lab-ssh', kind: 'qemu', variant: 'clean', agent: 'ssh', forwardedGuestPorts: [22, 80], mac: '52:54:00:c1:71:03' },
  {
    name: 'lab-static',
    kind: 'qemu',
    variant: 'clean',
    agent: 'qga',
    forwardedGuestPorts: [80, 8080],
    mac: '52:54:00:c1:71:04',
    staticNetwork: { address: '192.168.77.10/24', net: '192.168.77.0/24', host: '192.168.77.2', dns: '192.168.77.3' },
    onlyWhenNamed: true,
  },
];

/** The address init.sh gives a guest without a static network: slirp's default guest address. */
export const DEFAULT_GUEST_ADDRESS = '10.0.2.15/24';

/** The guest's address and prefix (`10.0.2.15/24` unless the VM has a static network). */
export function guestAddress(spec: Pick<LabVmSpec, 'staticNetwork'>): string {
  return spec.staticNetwork?.address ?? DEFAULT_GUEST_ADDRESS;
}

/** Machine type pinned for every lab VM: clones need exactly the same device model. */
export const LAB_MACHINE_TYPE = 'pc-q35-7.2';

/** Guest RAM in MiB. */
export const LAB_MEMORY_MIB = 256;

/**
 * Parses a comma-separated VM list (`lab-web,lab-db`); an empty or missing list means the default set,
 * every VM but those started only when named.
 */
export function selectVms(list: string | readonly string[] | undefined): readonly LabVmSpec[] {
  const names = typeof list === 'string' ? list.split(',') : (list ?? []);
  const wanted = names.map((name) => name.trim()).filter(Boolean);
  if (wanted.length === 0) return LAB_VMS.filter((spec) => !spec.onlyWhenNamed);
  const unknown = wanted.filter((name) => !LAB_VMS.some((spec) => spec.name === name));
  if (unknown.length > 0) {
    throw new Error(`unknown lab VM ${unknown.join(', ')}; known: ${LAB_VMS.map((spec) => spec.name).join(', ')}`);
  }
  return LAB_VMS.filter((spec) => wanted.includes(spec.name));
}

/** The kernel command line for a guest: console on serial, no reboot on panic, the personality. */
export function guestCommandLine(spec: Pick<LabVmSpec, 'variant' | 'agent' | 'staticNetwork'>): string {
  const network = spec.staticNetwork ? ` civic.net=${spec.staticNetwork.address} civic.gw=${spec.staticNetwork.host}` : '';
  return `console=ttyS0 panic=-1 quiet civic.variant=${spec.variant} civic.agent=${spec.agent}${network}`;
}

/** The `-netdev user` options that put slirp on a static guest's subnet (empty for the default network). */
export function slirpNetworkOptions(spec: Pick<LabVmSpec, 'staticNetwork'>): string {
  const network = spec.staticNetwork;
  return network ? `,net=${network.net},host=${network.host},dns=${network.dns}` : '';
}
