import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelModuleFact, SystemFacts } from '../../../../../preload/api';
import { SystemView } from '../../../../../renderer/src/features/review/system-view';

afterEach(cleanup);

const at = '2026-11-26T10:00:00.000Z';
const text = (value: string) => ({ text: value });

function module(name: string, size: number, taints = ''): KernelModuleFact {
  const flags = taints === 'OE' ? [{ letter: 'O', meaning: 'externally built (out-of-tree) module loaded', suspicious: true }] : [];
  return { name: text(name), size, instances: 0, state: text('Live'), taints: text(taints), taintFlags: flags };
}

const facts: SystemFacts = {
  capturedAt: at,
  kernel: {
    banner: text('Linux version 6.1.0'),
    release: text('6.1.0'),
    tainted: 4096,
    taintFlags: [{ letter: 'O', meaning: 'externally built (out-of-tree) module loaded', suspicious: true }],
    unknownTaintBits: [],
    uptimeSeconds: 90_061,
    bootedAt: at,
  },
  modules: [module('virtio_net', 73_728), module('<img src=x onerror=alert(1)>', 4096, 'OE'), module('ext4', 1_000_000)],
  mounts: [
    { source: text('tmpfs'), target: text('/tmp'), fsType: text('tmpfs'), options: text('rw,nosuid'), concerns: ['noexec-missing'] },
    { source: text('/dev/vda1'), target: text('/<b>bold</b>'), fsType: text('ext4'), options: text('rw'), concerns: [] },
  ],
  ldSoPreload: { present: true, content: text('/lib/libevil.so\n'), truncated: false, loadsSomething: true },
  logins: [],
  persistence: [{ location: text('/etc/cron.d'), entries: [{ path: text('/etc/cron.d/job'), type: 'file', size: 42, mtime: at, sha256: 'ab'.repeat(32), linkTarget: null }] }],
  persistenceTruncated: false,
};

function moduleNames(): string[] {
  return screen.getAllByTestId('module-row').map((row) => row.querySelector('td')?.textContent ?? '');
}

describe('SystemView', () => {
  it('says not collected when the capture has no system document, and loading before it answers', () => {
    render(<SystemView system={{ facts: null }} />);
    expect(screen.getByTestId('system-not-collected').textContent).toContain('Not collected');
    cleanup();
    render(<SystemView system={null} />);
    expect(screen.queryByTestId('system-view')).toBeNull();
  });

  it('decodes the taint, highlights a loading ld.so.preload and a /tmp without noexec', () => {
    render(<SystemView system={{ facts }} />);
    expect(screen.getByTestId('system-taint').textContent).toContain('externally built (out-of-tree) module loaded');
    expect(screen.getByTestId('system-preload').className).toContain('system-alert-box');
    expect(screen.getByTestId('system-preload').textContent).toContain('/lib/libevil.so');
    const [tmp, root] = screen.getAllByTestId('mount-row');
    expect(tmp?.className).toBe('system-alert');
    expect(tmp?.textContent).toContain('no noexec');
    expect(root?.className).toBe('');
    expect(within(screen.getByTestId('system-persistence')).getByTestId('persistence-row').textContent).toContain('ab'.repeat(32));
  });

  it('renders hostile module names and mount paths as text, never as markup', () => {
    const { container } = render(<SystemView system={{ facts }} />);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(moduleNames()).toContain('<img src=x onerror=alert(1)>');
    expect(screen.getAllByTestId('mount-row')[1]?.textContent).toContain('/<b>bold</b>');
  });

  it('sorts modules by a column and searches them by name', () => {
    render(<SystemView system={{ facts }} />);
    expect(moduleNames()).toEqual(['<img src=x onerror=alert(1)>', 'ext4', 'virtio_net']);
    fireEvent.click(screen.getByTestId('module-sort-size'));
    expect(moduleNames()).toEqual(['<img src=x onerror=alert(1)>', 'virtio_net', 'ext4']);
    fireEvent.click(screen.getByTestId('module-sort-size'));
    expect(moduleNames()).toEqual(['ext4', 'virtio_net', '<img src=x onerror=alert(1)>']);
    fireEvent.change(screen.getByLabelText('Search modules'), { target: { value: 'VIRT' } });
    expect(moduleNames()).toEqual(['virtio_net']);
  });
});
