import type { ReactNode } from 'react';
import type { HostVmList, VmSummary } from '../../../../preload/api';

/** The badges of one VM: what it is and whether it can be cloned, each with a reason to hover. */
export function vmBadges(vm: VmSummary, list: HostVmList): Array<{ label: string; tone: 'ok' | 'danger' | 'plain'; title: string }> {
  // A VM the helper could not read has no facts to badge: only why.
  if (vm.readError !== undefined) return [{ label: 'unreadable', tone: 'danger', title: vm.readError }];
  const badges: Array<{ label: string; tone: 'ok' | 'danger' | 'plain'; title: string }> = [
    vm.cloneable
      ? { label: 'cloneable', tone: 'ok', title: 'The helper can clone this VM.' }
      : { label: 'not cloneable', tone: 'danger', title: vm.reasons.join(' ') || 'The helper cannot clone this VM.' },
    vm.qgaChannel
      ? { label: 'qga', tone: 'ok', title: 'A guest agent channel exists: commands and files work in a clone.' }
      : { label: 'no qga', tone: 'plain', title: 'No guest agent channel: a clone can be dumped, not inspected from inside.' },
    { label: vm.kind === 'libvirt' ? 'libvirt' : 'bare QEMU', tone: 'plain', title: vm.id },
  ];
  const strategy = list.capabilities.strategies[0];
  if (strategy !== undefined) badges.push({ label: strategy, tone: 'plain', title: `Clone strategy: ${list.capabilities.strategies.join(', ')}` });
  if (list.capabilities.accelerator !== null) badges.push({ label: list.capabilities.accelerator, tone: 'plain', title: 'Accelerator QEMU uses on this host.' });
  return badges;
}

/**
 * The VMs of one connected host.
 *
 * `stale`: the last refresh failed, so this list may name VMs that are gone; it is shown greyed, as
 * "last seen", and nothing in it is offered for capture or as a twin. `openVmId`'s row shows `openPanel`
 * under it (the start-twin form).
 */
export function VmList({
  list,
  stale = false,
  onCapture,
  onStartTwin,
  openVmId,
  openPanel,
}: {
  list: HostVmList;
  stale?: boolean;
  onCapture?: (vm: VmSummary) => void;
  onStartTwin?: (vm: VmSummary) => void;
  openVmId?: string | null;
  openPanel?: ReactNode;
}) {
  if (list.vms.length === 0) {
    return (
      <p className="muted" data-testid="vm-empty">
        No VMs found. Scanned QMP folders: {list.qmpDirs.join(', ') || 'none'}
        {list.libvirt.available ? '' : `; libvirt: ${list.libvirt.reason ?? 'not available'}`}.
      </p>
    );
  }
  const rows = list.vms.map((vm) => {
    const unreadable = vm.readError !== undefined;
    return (
      <li
        key={vm.id}
        className={`vm-item${unreadable ? ' vm-item-unreadable' : ''}`}
        data-testid="vm-item"
        data-vm-name={vm.name ?? vm.id}
        data-unreadable={unreadable ? 'true' : undefined}
        aria-disabled={unreadable || stale ? 'true' : undefined}
        tabIndex={0}
        data-list-item
      >
        <span className="vm-name">{vm.name ?? vm.id}</span>
        <span className="muted">{stale ? `last seen ${vm.state}` : vm.state}</span>
        <span className="vm-badges">
          {vmBadges(vm, list).map((badge) => (
            <span key={badge.label} className={`badge badge-small${badge.tone === 'plain' ? '' : ` badge-${badge.tone}`}`} data-testid="vm-badge" title={badge.title}>
              {badge.label}
            </span>
          ))}
        </span>
        {vm.reasons.length > 0 ? <span className="vm-reasons muted" data-testid="vm-reasons">{vm.reasons.join(' ')}</span> : null}
        {onCapture && vm.cloneable && !unreadable && !stale ? (
          <button type="button" className="button button-small" data-testid="vm-capture" onClick={() => onCapture(vm)}>
            Capture…
          </button>
        ) : null}
        {onStartTwin && vm.cloneable && !unreadable && !stale ? (
          <button
            type="button"
            className="button button-small"
            data-testid="vm-start-twin"
            aria-expanded={openVmId === vm.id}
            disabled={openVmId === vm.id}
            onClick={() => onStartTwin(vm)}
          >
            Start twin…
          </button>
        ) : null}
        {openVmId === vm.id && !stale ? <div className="vm-panel">{openPanel}</div> : null}
      </li>
    );
  });
  return (
    <>
      {stale ? (
        <p className="muted vm-stale-note" data-testid="vm-list-stale">
          The last refresh failed: this list is from before it and may name VMs that no longer exist. Refresh to capture.
        </p>
      ) : null}
      {/* No key handler of its own: the host list around it moves focus through hosts and VMs in one order. */}
      <ul className={`vm-list${stale ? ' vm-list-stale' : ''}`} aria-label="Virtual machines">
        {rows}
      </ul>
    </>
  );
}
