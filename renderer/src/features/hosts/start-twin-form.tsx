import { useState, type FormEvent, type KeyboardEvent } from 'react';
import type { TwinRequest } from '../../../../preload/api';
import { emptyTwinDraft, validateTwinDraft, type TwinDraft, type TwinDraftField } from './twin-form-fields';

/**
 * Starts a twin of one VM: the lease, the guest ports to forward, the guest's address, auto-renew.
 *
 * Fields are checked as the user starts; main checks again.
 */
export function StartTwinForm({
  hostId,
  vmId,
  vmName,
  busy = false,
  onStart,
  onCancel,
}: {
  hostId: string;
  vmId: string;
  vmName: string;
  busy?: boolean;
  onStart: (request: TwinRequest) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState<TwinDraft>(emptyTwinDraft);
  const [errors, setErrors] = useState<Partial<Record<TwinDraftField, string>>>({});
  const change = (patch: Partial<TwinDraft>): void => setDraft({ ...draft, ...patch });
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const checked = validateTwinDraft(draft, hostId, vmId);
    if ('errors' in checked) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    onStart(checked.request);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLFormElement>): void => {
    // The host list around the form moves focus on arrows, Home and End; in a field they edit text.
    if (['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(event.key)) event.stopPropagation();
    if (event.key === 'Escape') {
      event.preventDefault();
      onCancel();
    }
  };
  const problem = (field: TwinDraftField, testId: string) =>
    errors[field] !== undefined ? (
      <span className="form-error" id={`${testId}-error`} data-testid={`${testId}-error`}>
        {errors[field]}
      </span>
    ) : null;
  const invalid = (field: TwinDraftField, testId: string) => ({
    'aria-invalid': errors[field] !== undefined,
    'aria-describedby': errors[field] !== undefined ? `${testId}-error` : undefined,
  });
  return (
    <form className="twin-form" aria-label={`Start a twin of ${vmName}`} data-testid="twin-form" onSubmit={submit} onKeyDown={onKeyDown} noValidate>
      <p className="muted">
        A twin is a live clone kept under a lease: the host destroys it when the lease ends, whatever happens to this app.
      </p>
      <div className="twin-form-grid">
        <label className="form-field">
          <span>Lease (minutes, 1–1440)</span>
          <input
            className="input"
            data-testid="twin-form-ttl"
            inputMode="numeric"
            value={draft.ttlMinutes}
            onChange={(event) => change({ ttlMinutes: event.target.value })}
            autoFocus
            {...invalid('ttlMinutes', 'twin-form-ttl')}
          />
          {problem('ttlMinutes', 'twin-form-ttl')}
        </label>
        <label className="form-field">
          <span>Guest ports to forward (comma separated)</span>
          <input
            className="input input-mono"
            data-testid="twin-form-ports"
            value={draft.ports}
            placeholder="8080, 80"
            onChange={(event) => change({ ports: event.target.value })}
            {...invalid('ports', 'twin-form-ports')}
          />
          {problem('ports', 'twin-form-ports')}
        </label>
      </div>
      <label className="checkbox">
        <input type="checkbox" data-testid="twin-form-static" checked={draft.staticAddress} onChange={(event) => change({ staticAddress: event.target.checked })} />
        The guest has a static address (the clone cannot learn it by DHCP)
      </label>
      {draft.staticAddress ? (
        <fieldset className="twin-form-network">
          <legend className="visually-hidden">The guest&apos;s address</legend>
          <label className="checkbox">
            <input
              type="radio"
              name={`twin-network-${vmId}`}
              data-testid="twin-form-network-auto"
              checked={draft.addressSource === 'auto'}
              onChange={() => change({ addressSource: 'auto' })}
            />
            Ask the guest agent for it (auto)
          </label>
          <label className="checkbox">
            <input
              type="radio"
              name={`twin-network-${vmId}`}
              data-testid="twin-form-network-manual"
              checked={draft.addressSource === 'manual'}
              onChange={() => change({ addressSource: 'manual' })}
            />
            This address:
          </label>
          {draft.addressSource === 'manual' ? (
            <div className="twin-form-grid">
              <label className="form-field">
                <span>Address</span>
                <input
                  className="input input-mono"
                  data-testid="twin-form-address"
                  value={draft.address}
                  placeholder="192.168.122.10"
                  onChange={(event) => change({ address: event.target.value })}
                  {...invalid('address', 'twin-form-address')}
                />
                {problem('address', 'twin-form-address')}
              </label>
              <label className="form-field">
                <span>Prefix length</span>
                <input
                  className="input"
                  data-testid="twin-form-prefix"
                  inputMode="numeric"
                  value={draft.prefix}
                  onChange={(event) => change({ prefix: event.target.value })}
                  {...invalid('prefix', 'twin-form-prefix')}
                />
                {problem('prefix', 'twin-form-prefix')}
              </label>
            </div>
          ) : null}
        </fieldset>
      ) : null}
      <label className="checkbox">
        <input type="checkbox" data-testid="twin-form-auto-renew" checked={draft.autoRenew} onChange={(event) => change({ autoRenew: event.target.checked })} />
        Renew the lease while this app runs
      </label>
      <div className="button-row">
        <button type="button" className="button" data-testid="twin-form-cancel" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" data-testid="twin-form-start" disabled={busy}>
          Start twin
        </button>
      </div>
    </form>
  );
}
