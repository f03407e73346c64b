import { describe, expect, it } from 'vitest';
import { resolveVmKey } from '../../../../main/cli/commands/collect-vm';
import type { VmSummary } from '../../../../preload/api';

function vm(id: string, name: string | null): VmSummary {
  return { id, kind: id.startsWith('qmp:') ? 'qmp' : 'libvirt', name, state: 'running', memoryBytes: null, vcpus: 1, qgaChannel: true, cloneable: true, reasons: [] };
}

const vms = [vm('qmp:/run/web.sock', 'web'), vm('libvirt:db01', 'db01'), vm('qmp:/run/a.sock', 'twin'), vm('qmp:/run/b.sock', 'twin')];

describe('civic collect resolves the VM to its key before calling the capture service', () => {
  it('takes a listed key as it is, and a name held by exactly one VM as that VM\'s key', () => {
    expect(resolveVmKey(vms, 'libvirt:db01', 'lab')).toBe('libvirt:db01');
    expect(resolveVmKey(vms, 'web', 'lab')).toBe('qmp:/run/web.sock');
  });

  it('refuses a name two VMs share and a VM the host does not list', () => {
    expect(() => resolveVmKey(vms, 'twin', 'lab')).toThrow(expect.objectContaining({ code: 'NOT_FOUND', message: '2 VMs on lab are named twin.' }));
    expect(() => resolveVmKey(vms, 'qmp:/run/gone.sock', 'lab')).toThrow(expect.objectContaining({ code: 'NOT_FOUND', message: 'lab has no VM qmp:/run/gone.sock.' }));
  });
});
