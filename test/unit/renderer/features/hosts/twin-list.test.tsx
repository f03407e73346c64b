import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StartTwinForm } from '../../../../../renderer/src/features/hosts/start-twin-form';
import { TwinList } from '../../../../../renderer/src/features/hosts/twin-list';
import { sampleTwin } from '../../support/sample-twins';

afterEach(cleanup);

const noon = Date.parse('2026-06-01T12:00:00.000Z');

describe('TwinList', () => {
  it('shows VM, state, age, time left and lease, and counts down as the time moves', () => {
    const props = { twins: [sampleTwin()], busy: {}, onRenew: vi.fn(), onDestroy: vi.fn(), onOpenForward: vi.fn() };
    const { rerender } = render(<TwinList {...props} nowMs={noon + 5 * 60_000} />);
    const item = screen.getByTestId('twin-item');
    expect(item.textContent).toContain('web');
    expect(within(item).getByTestId('twin-state').textContent).toBe('live');
    expect(within(item).getByTestId('twin-age').textContent).toBe('5 min');
    expect(within(item).getByTestId('twin-time-left').textContent).toBe('25:00');
    expect(item.textContent).toContain('systemd-scope');
    rerender(<TwinList {...props} nowMs={noon + 5 * 60_000 + 1000} />);
    expect(screen.getByTestId('twin-time-left').textContent).toBe('24:59');
  });

  it('renews, and destroys only after the confirm', () => {
    const onRenew = vi.fn();
    const onDestroy = vi.fn();
    render(<TwinList twins={[sampleTwin()]} nowMs={noon} busy={{}} onRenew={onRenew} onDestroy={onDestroy} onOpenForward={vi.fn()} />);
    fireEvent.click(screen.getByTestId('twin-renew'));
    expect(onRenew).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId('twin-renew').textContent).toBe('Renew (+30 min)');
    fireEvent.click(screen.getByTestId('twin-destroy'));
    expect(onDestroy).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId('twin-destroy-keep'));
    expect(screen.queryByTestId('twin-destroy-confirm')).toBeNull();
    fireEvent.click(screen.getByTestId('twin-destroy'));
    fireEvent.click(screen.getByTestId('twin-destroy-confirm'));
    expect(onDestroy).toHaveBeenCalledTimes(1);
  });

  it('offers a forward, then shows its local URL as a link', () => {
    const onOpenForward = vi.fn();
    const { rerender } = render(<TwinList twins={[sampleTwin()]} nowMs={noon} busy={{}} onRenew={vi.fn()} onDestroy={vi.fn()} onOpenForward={onOpenForward} />);
    fireEvent.click(screen.getByTestId('twin-forward-open'));
    expect(onOpenForward).toHaveBeenCalledWith(expect.objectContaining({ twinId: 'twin-1' }), 8080);
    const opened = sampleTwin({ forwards: [{ guestPort: 8080, guestAddress: '10.0.2.15', hostPort: 41234, localUrl: 'http://127.0.0.1:5000/' }] });
    rerender(<TwinList twins={[opened]} nowMs={noon} busy={{}} onRenew={vi.fn()} onDestroy={vi.fn()} onOpenForward={onOpenForward} />);
    const link = screen.getByTestId('twin-forward-link');
    expect(link.getAttribute('href')).toBe('http://127.0.0.1:5000/');
    expect(link.getAttribute('target')).toBe('_blank');
    expect(link.getAttribute('rel')).toContain('noopener');
  });

  it('warns when a renew failed, with the time the host ends the twin', () => {
    const twin = sampleTwin({ renewError: { code: 'CONNECTION_LOST', message: 'The SSH connection to kvm1 was lost', hint: 'Reconnect.' } });
    render(<TwinList twins={[twin]} nowMs={noon} busy={{}} onRenew={vi.fn()} onDestroy={vi.fn()} onOpenForward={vi.fn()} />);
    expect(screen.getByTestId('twin-renew-warning').textContent).toBe('Could not renew: The SSH connection to kvm1 was lost. The host ends the twin at 12:30 UTC.');
  });
});

describe('StartTwinForm', () => {
  it('refuses bad fields and names them, then starts with the typed values', () => {
    const onStart = vi.fn();
    render(<StartTwinForm hostId="app:1" vmId="libvirt:web" vmName="web" onStart={onStart} onCancel={vi.fn()} />);
    expect((screen.getByTestId('twin-form-ttl') as HTMLInputElement).value).toBe('30');
    expect((screen.getByTestId('twin-form-ports') as HTMLInputElement).value).toBe('8080, 80');
    expect((screen.getByTestId('twin-form-auto-renew') as HTMLInputElement).checked).toBe(true);
    fireEvent.change(screen.getByTestId('twin-form-ttl'), { target: { value: '2000' } });
    fireEvent.change(screen.getByTestId('twin-form-ports'), { target: { value: '80, 99999' } });
    fireEvent.click(screen.getByTestId('twin-form-start'));
    expect(onStart).not.toHaveBeenCalled();
    expect(screen.getByTestId('twin-form-ttl-error')).toBeTruthy();
    expect(screen.getByTestId('twin-form-ports-error').textContent).toContain('99999');
    fireEvent.change(screen.getByTestId('twin-form-ttl'), { target: { value: '60' } });
    fireEvent.change(screen.getByTestId('twin-form-ports'), { target: { value: '80' } });
    fireEvent.click(screen.getByTestId('twin-form-static'));
    fireEvent.click(screen.getByTestId('twin-form-network-manual'));
    fireEvent.change(screen.getByTestId('twin-form-address'), { target: { value: '192.168.122.10' } });
    fireEvent.change(screen.getByTestId('twin-form-prefix'), { target: { value: '24' } });
    fireEvent.click(screen.getByTestId('twin-form-start'));
    expect(onStart).toHaveBeenCalledWith({
      hostId: 'app:1',
      vmId: 'libvirt:web',
      ttlSeconds: 3600,
      guestPorts: [80],
      guestNetwork: { address: '192.168.122.10', prefix: 24 },
      autoRenew: true,
    });
  });
});
