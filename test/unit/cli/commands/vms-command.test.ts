import { describe, expect, it } from 'vitest';
import type { HostVmList } from '../../../../preload/api';
import { formatHostNotice, formatVmList } from '../../../../main/cli/commands/vms-command';

const list: HostVmList = {
  hostId: 'app:1',
  capabilities: { qemuVersion: '8.2', libvirtVersion: '9.0', accelerator: 'kvm', kvmPresent: true, backgroundSnapshot: true, pauseBeforeSwitchover: true, strategies: ['precopy'], root: true, sudo: 'not-needed' },
  vms: [
    { id: 'libvirt:db01', kind: 'libvirt', name: 'db01', state: 'running', memoryBytes: 1024 ** 3, vcpus: 1, qgaChannel: true, cloneable: true, reasons: [] },
    {
      id: 'qmp:/run/q/old.qmp', kind: 'qmp', name: null, state: 'unknown', memoryBytes: null, vcpus: 0, qgaChannel: false, cloneable: false,
      reasons: ['the QMP socket /run/q/old.qmp could not be read: Connection refused'], readError: 'the QMP socket /run/q/old.qmp could not be read: Connection refused',
    },
  ],
  libvirt: { available: true },
  qmpDirs: ['/run/q'],
};

describe('civic vms output', () => {
  it('prints the readable VMs and the broken one with why it could not be read', () => {
    const lines = formatVmList(list).split('\n');
    expect(lines.find((line) => line.startsWith('db01'))).toMatch(/libvirt\s+running\s+.*yes\s+yes\s+libvirt:db01$/);
    const broken = lines.findIndex((line) => line.endsWith('qmp:/run/q/old.qmp'));
    expect(lines[broken]).toMatch(/^-\s+qmp\s+unknown\s+-\s+no\s+no/);
    expect(lines[broken + 1]).toBe('    unreadable: the QMP socket /run/q/old.qmp could not be read: Connection refused');
    expect(lines.some((line) => line.includes('not cloneable: the QMP socket'))).toBe(false);
  });

  it('prints what was recovered at connect, and a failure with the command to run by hand', () => {
    expect(formatHostNotice({ hostId: 'h', noticeId: 'n', tone: 'info', text: 'Recovered 1 interrupted clone of db01: source resumed.', jobIds: [], at: 'x' })).toBe(
      'civic: Recovered 1 interrupted clone of db01: source resumed.\n',
    );
    expect(
      formatHostNotice({ hostId: 'h', noticeId: 'n', tone: 'warning', text: 'Could not recover interrupted clone c of db01: denied.', jobIds: [], at: 'x', error: { code: 'HELPER_FAILED', message: 'denied', hint: 'Run recover by hand: sudo python3 /x/civic-helper recover' } }),
    ).toBe('civic: WARN Could not recover interrupted clone c of db01: denied.\n  Run recover by hand: sudo python3 /x/civic-helper recover\n');
  });
});
