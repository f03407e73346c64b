import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HostNoticeEvent, HostVmList, VmSummary } from '../../../../../preload/api';
import { HostNotices } from '../../../../../renderer/src/features/hosts/host-notices';
import { VmList } from '../../../../../renderer/src/features/hosts/vm-list';

afterEach(cleanup);

const good: VmSummary = { id: 'libvirt:lab-db', kind: 'libvirt', name: 'lab-db', state: 'running', memoryBytes: 1, vcpus: 1, qgaChannel: true, cloneable: true, reasons: [] };
const stale = 'the QMP socket /run/q/old.qmp could not be read: Connection refused';
const broken: VmSummary = { id: 'qmp:/run/q/old.qmp', kind: 'qmp', name: null, state: 'unknown', memoryBytes: null, vcpus: 0, qgaChannel: false, cloneable: false, reasons: [stale], readError: stale };

function list(vms: readonly VmSummary[]): HostVmList {
  return {
    hostId: 'app:1',
    capabilities: { qemuVersion: null, libvirtVersion: null, accelerator: 'kvm', kvmPresent: true, backgroundSnapshot: true, pauseBeforeSwitchover: true, strategies: ['precopy'], root: true, sudo: 'not-needed' },
    vms,
    libvirt: { available: true },
    qmpDirs: ['/run/q'],
  };
}

describe('VmList', () => {
  it('lists a broken VM greyed with its reason beside a cloneable one, and offers only the good one', () => {
    render(<VmList list={list([good, broken])} onCapture={vi.fn()} />);
    const [first, second] = screen.getAllByTestId('vm-item');
    expect(within(first as HTMLElement).getByTestId('vm-capture')).toBeTruthy();
    expect(second?.getAttribute('data-unreadable')).toBe('true');
    expect(second?.getAttribute('aria-disabled')).toBe('true');
    expect(second?.className).toContain('vm-item-unreadable');
    expect(within(second as HTMLElement).getByTestId('vm-reasons').textContent).toBe(stale);
    expect(within(second as HTMLElement).queryByTestId('vm-capture')).toBeNull();
    expect(within(second as HTMLElement).getAllByTestId('vm-badge').map((badge) => badge.textContent)).toEqual(['unreadable']);
  });

  it('offers nothing from a stale list and says the states are from before the failed refresh', () => {
    render(<VmList list={list([good])} stale onCapture={vi.fn()} />);
    expect(screen.getByTestId('vm-list-stale').textContent).toMatch(/last refresh failed/);
    expect(screen.queryByTestId('vm-capture')).toBeNull();
    expect(screen.getByTestId('vm-item').textContent).toContain('last seen running');
  });
});

describe('HostNotices', () => {
  it('shows what was recovered, and a failure with the command to run by hand', () => {
    const notices: HostNoticeEvent[] = [
      { hostId: 'h', noticeId: 'a', tone: 'info', text: 'Recovered 1 interrupted clone of lab-db: source resumed.', jobIds: ['j'], at: 'x' },
      { hostId: 'h', noticeId: 'b', tone: 'warning', text: 'Could not recover interrupted clone c9 of lab-db: denied.', jobIds: [], at: 'x', error: { code: 'HELPER_FAILED', message: 'denied', hint: 'Run recover by hand on the host: sudo python3 /x/civic-helper recover' } },
    ];
    const onDismiss = vi.fn();
    render(<HostNotices notices={notices} onDismiss={onDismiss} />);
    const [info, warning] = screen.getAllByTestId('host-notice');
    expect(info?.textContent).toContain('Recovered 1 interrupted clone of lab-db');
    expect(warning?.getAttribute('data-tone')).toBe('warning');
    expect(within(warning as HTMLElement).getByTestId('host-notice-hint').textContent).toContain('civic-helper recover');
    within(warning as HTMLElement).getByTestId('host-notice-dismiss').click();
    expect(onDismiss).toHaveBeenCalledWith('b');
  });
});
