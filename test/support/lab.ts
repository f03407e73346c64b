import { labAcquire, labDown, labRelease, labStatus, labUp, vmState, type LabFolderOptions, type LabStatusReport, type LabUpOptions } from '../lab/lab';
import type { LabInfo, LabVmInfo } from '../lab/lab-info';
import { LabError } from '../lab/lab-error';
import { resolveLabPaths } from '../lab/lab-paths';
import { readState } from '../lab/lab-state';
import { libvirtAgentCommand } from '../lab/libvirt-vm';
import { execResult, guestShell, type GuestExecResult } from '../lab/qga-client';
import { guestRun } from '../../main/toolkit/guest-agent';
import type { LabVmName } from '../lab/vm-catalog';

export { labAcquire, labDown, labRelease, labStatus, labUp, vmState };
export type { LabFolderOptions, LabStatusReport, LabUpOptions, LabInfo, LabVmInfo, LabVmName, GuestExecResult };
export type { ForwardedPort, LabSshEndpoint } from '../lab/lab-info';
export type { LabProcess } from '../lab/process-tools';
export { isProcessAlive } from '../lab/process-tools';
export { QmpClient, QmpError, queryVmStatus, withQmp } from '../lab/qmp-client';
export { QgaClient, QgaError, guestShell, withQga } from '../lab/qga-client';
export { libvirtAgentCommand, libvirtDomainState, virsh, LIBVIRT_URI } from '../lab/libvirt-vm';
export { runCommand } from '../lab/run-command';

/** Reads the running lab's info (as written by `up`); throws when the lab is not up. */
export async function readLabInfo(labDir?: string): Promise<LabInfo> {
  const state = await readState(resolveLabPaths(labDir).stateFile);
  if (!state?.info) throw new LabError('the lab is not up', 'run `npm run lab -- up` or the integration tier (its global setup starts it)');
  return state.info;
}

/** Finds one VM of a running lab by name; throws when it was not started. */
export function labVm(info: LabInfo, name: LabVmName): LabVmInfo {
  const vm = info.vms.find((entry) => entry.name === name);
  if (!vm) throw new LabError(`lab VM ${name} is not running`, `start it: lab up --vms ${name}`);
  return vm;
}

/** The host port a VM's guest port is forwarded to. */
export function forwardedPort(vm: LabVmInfo, guestPort: number): number {
  const forward = vm.forwardedPorts.find((entry) => entry.guestPort === guestPort);
  if (!forward) throw new LabError(`${vm.name} forwards no guest port ${guestPort}`);
  return forward.hostPort;
}

/**
 * Runs `/bin/sh -c SCRIPT` in a qemu-ga guest: through its socket for bare QEMU, through
 * `virsh qemu-agent-command` for libvirt (libvirtd owns that socket).
 */
export async function runInGuest(vm: LabVmInfo, script: string, timeoutMs = 30_000): Promise<GuestExecResult> {
  if (vm.qgaSocketPath) return guestShell(vm.qgaSocketPath, script, timeoutMs);
  if (!vm.libvirtDomain) throw new LabError(`${vm.name} has no guest agent`, 'use SSH for the lab-ssh guest');
  const domain = vm.libvirtDomain;
  // libvirtd owns this guest's agent channel: the same guest-exec polling, through virsh.
  const agent = { execute: (command: string, args?: Record<string, unknown>) => libvirtAgentCommand(domain, command, args) };
  return execResult(await guestRun(agent, '/bin/sh', ['-c', script], timeoutMs));
}
