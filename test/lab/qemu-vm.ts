import { join } from 'node:path';
import { spawnDaemon } from './run-command';
import { guestCommandLine, LAB_MACHINE_TYPE, LAB_MEMORY_MIB, slirpNetworkOptions, type LabVmSpec } from './vm-catalog';

/** Host-side paths and ports of one bare-QEMU VM. */
export interface QemuVmLaunch {
  readonly spec: LabVmSpec;
  readonly kernelPath: string;
  readonly initramfsPath: string;
  readonly diskPath: string;
  readonly qmpSocketPath: string;
  /** Host side of the qemu-ga channel; null when the guest runs no agent. */
  readonly qgaSocketPath: string | null;
  readonly forwards: readonly { readonly guestPort: number; readonly hostPort: number }[];
  readonly logDir: string;
}

/**
 * The QEMU argument vector for a lab VM.
 *
 * Devices sit at fixed PCI addresses and the machine type is pinned, so a clone started with the same
 * arguments (different backends) accepts this VM's migration stream.
 */
export function qemuArguments(launch: QemuVmLaunch): string[] {
  // slirp forwards to its first DHCP address (x.x.x.15) when none is named: a static guest needs its own.
  const forwardTo = launch.spec.staticNetwork ? launch.spec.staticNetwork.address.split('/')[0] : '';
  const hostForwards = launch.forwards.map((forward) => `,hostfwd=tcp:127.0.0.1:${forward.hostPort}-${forwardTo}:${forward.guestPort}`).join('');
  const args = [
    '-name', `${launch.spec.name},debug-threads=on`,
    '-machine', `${LAB_MACHINE_TYPE},accel=tcg`,
    '-cpu', 'qemu64',
    '-m', String(LAB_MEMORY_MIB),
    '-smp', '1',
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-no-reboot',
    '-kernel', launch.kernelPath,
    '-initrd', launch.initramfsPath,
    '-append', guestCommandLine(launch.spec),
    '-serial', `file:${join(launch.logDir, `${launch.spec.name}.console.log`)}`,
    '-qmp', `unix:${launch.qmpSocketPath},server=on,wait=off`,
    '-blockdev', `driver=file,filename=${launch.diskPath},node-name=data-file`,
    '-blockdev', 'driver=qcow2,file=data-file,node-name=data-disk',
    '-device', 'virtio-blk-pci,drive=data-disk,id=data-disk-device,bus=pcie.0,addr=0x4',
    '-netdev', `user,id=net0${slirpNetworkOptions(launch.spec)}${hostForwards}`,
    '-device', `virtio-net-pci,netdev=net0,id=net0-device,mac=${launch.spec.mac},bus=pcie.0,addr=0x3`,
  ];
  if (launch.qgaSocketPath) {
    args.push(
      '-chardev', `socket,id=qga0,path=${launch.qgaSocketPath},server=on,wait=off`,
      '-device', 'virtio-serial-pci,id=virtio-serial0,bus=pcie.0,addr=0x5',
      '-device', 'virtserialport,bus=virtio-serial0.0,chardev=qga0,name=org.qemu.guest_agent.0',
    );
  }
  return args;
}

/** Starts a bare QEMU for the VM, detached; returns its PID. */
export function startQemuVm(launch: QemuVmLaunch): number {
  return spawnDaemon('qemu-system-x86_64', qemuArguments(launch), join(launch.logDir, `${launch.spec.name}.qemu.log`));
}
