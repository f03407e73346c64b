import { runCommand, type CommandResult } from './run-command';

/** The libvirt connection the lab uses (the system instance, as root). */
export const LIBVIRT_URI = 'qemu:///system';

/**
 * How long one virsh call may take before it is stopped and reported.
 *
 * Sized for the slowest thing a call can wait behind on a cold machine: libvirtd probing QEMU's
 * capabilities under TCG with two busy cores (2-4 min measured, docs/LAB.md), with room to spare.
 */
export const VIRSH_TIMEOUT_MS = 10 * 60_000;

/** Runs virsh against the lab's libvirt URI; a call that runs out of time rejects, naming the command. */
export function virsh(args: readonly string[], allowFailure = false, timeoutMs = VIRSH_TIMEOUT_MS): Promise<CommandResult> {
  return runCommand('virsh', ['-c', LIBVIRT_URI, ...args], {
    allowFailure,
    timeoutMs,
    waitingFor: `libvirtd to answer \`virsh ${args[0] ?? ''}\` (see /var/log/libvirt/libvirtd.log)`,
  });
}
