import { labAcquire, labDown, labRelease, labStatus, labUp, vmState, type LabFolderOptions, type LabStatusReport, type LabUpOptions } from '../lab/lab';
import type { LabInfo, LabVmInfo } from '../lab/lab-info';
import { LabError } from '../lab/lab-error';
import { resolveLabPaths } from '../lab/lab-paths';
import { readState } from '../lab/lab-state';
import { libvirtAgentCommand } from '../lab/libvirt-vm';
import { guestShell, type GuestExecResult } from '../lab/qga-client';
import type { LabVmName } from '../lab/vm-catalog';
import { setTimeout as delay } from 'node:timers/promises';

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
  const started = (await libvirtAgentCommand(domain, 'guest-exec', { path: '/bin/sh', arg: ['-c', script], 'capture-output': true })) as { pid: number };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = (await libvirtAgentCommand(domain, 'guest-exec-status', { pid: started.pid })) as {
      exited: boolean;
      exitcode?: number;
      signal?: number;
      'out-data'?: string;
      'err-data'?: string;
    };
    if (status.exited) {
      return {
        exitCode: status.exitcode ?? 128 + (status.signal ?? 0),
        stdout: Buffer.from(status['out-data'] ?? '', 'base64').toString('utf8'),
        stderr: Buffer.from(status['err-data'] ?? '', 'base64').toString('utf8'),
      };
    }
    if (Date.now() > deadline) throw new LabError(`guest command in ${vm.name} still running after ${timeoutMs} ms`);
    await delay(100);
  }
}
