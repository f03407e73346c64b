import type { LabProcess } from './process-tools';
import type { GuestAgent, GuestVariant, LabVmKind, LabVmName } from './vm-catalog';

/** A guest port reachable on 127.0.0.1 of the host. */
export interface ForwardedPort {
  readonly guestPort: number;
  readonly hostPort: number;
}

/** One running lab VM. */
export interface LabVmInfo {
  readonly name: LabVmName;
  readonly kind: LabVmKind;
  readonly variant: GuestVariant;
  readonly agent: GuestAgent;
  /** PID of the QEMU process (started by the lab, or by libvirtd). */
  readonly pid: number;
  /** QMP socket of a bare-QEMU VM; null for libvirt (libvirtd owns its monitor). */
  readonly qmpSocketPath: string | null;
  /** Host side of the qemu-ga channel; null without an agent or under libvirt (use virsh). */
  readonly qgaSocketPath: string | null;
  /** Libvirt domain name, or null for bare QEMU. */
  readonly libvirtDomain: string | null;
  readonly forwardedPorts: readonly ForwardedPort[];
  /** The guest's own address and prefix (`10.0.2.15/24`, or lab-static's `192.168.77.10/24`). */
  readonly guestAddress: string;
  readonly diskPath: string;
  readonly machineType: string;
  /** Seconds from start until the guest answered (qemu-ga ping or SSH banner). */
  readonly bootSeconds: number;
  /** Resident memory of the QEMU process when the guest answered. */
  readonly rssBytes: number;
}

/** An SSH server the lab runs on the host. */
export interface LabSshEndpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly knownHostsLine: string;
}

/** Everything a test needs to reach the lab. */
export interface LabInfo {
  readonly labDir: string;
  readonly cacheKey: string;
  readonly imageDir: string;
  readonly imageReused: boolean;
  readonly imageBuildSeconds: number;
  readonly ssh: LabSshEndpoint & {
    readonly privateKeyPath: string;
    readonly publicKeyPath: string;
    readonly knownHostsPath: string;
    /** ssh_config with hosts `civic-lab`, `civic-lab-jump`, `civic-lab-via-jump`, `civic-lab-guest`. */
    readonly sshConfigPath: string;
    readonly analystUser: string;
    readonly analystPassword: string;
  };
  /** A second sshd to use as ProxyJump (same key, same users). */
  readonly jumpHost: LabSshEndpoint;
  /** SSH into the lab-ssh guest, when it runs (root, same key). */
  readonly guestSsh: LabSshEndpoint | null;
  readonly vms: readonly LabVmInfo[];
  /** Every process `down` stops, in start order. */
  readonly processes: readonly LabProcess[];
  readonly startedAt: string;
}
