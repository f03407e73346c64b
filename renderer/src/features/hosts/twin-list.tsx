import { useState } from 'react';
import type { TwinForward, TwinSummary } from '../../../../preload/api';
import { formatAge, formatClock, formatCountdown, secondsLeftAt } from '../../store/logic/twins';

const stateLabels: Readonly<Record<TwinSummary['state'], string>> = {
  live: 'live',
  expired: 'expired',
  gone: 'gone',
};

/** The warning of a failed renew: the twin still ends on time, on the host. */
export function renewWarning(twin: TwinSummary): string | null {
  if (twin.renewError === undefined) return null;
  const message = twin.renewError.message.trim();
  return `Could not renew: ${message}${/[.!?]$/.test(message) ? '' : '.'} The host ends the twin at ${formatClock(twin.expiresAt)}.`;
}

/** One forward: where it lands on the host, and once tunnelled, its link on this machine. */
function ForwardItem({ forward, disabled, onOpen }: { forward: TwinForward; disabled: boolean; onOpen: () => void }) {
  const [copied, setCopied] = useState(false);
  const url = forward.localUrl;
  return (
    <li className="twin-forward" data-testid="twin-forward" data-guest-port={forward.guestPort}>
      <span className="mono">
        guest {forward.guestAddress}:{forward.guestPort} → host 127.0.0.1:{forward.hostPort}
      </span>
      {url === null ? (
        <button type="button" className="button button-small" data-testid="twin-forward-open" disabled={disabled} onClick={onOpen}>
          Open on this machine
        </button>
      ) : (
        <>
          <a className="mono" href={url} target="_blank" rel="noopener noreferrer" data-testid="twin-forward-link">
            {url}
          </a>
          <button
            type="button"
            className="button button-small button-quiet"
            data-testid="twin-forward-copy"
            aria-label={`Copy ${url}`}
            onClick={() =>
              void navigator.clipboard.writeText(url).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            Copy
          </button>
          <span role="status" className="muted">
            {copied ? 'Copied' : ''}
          </span>
        </>
      )}
    </li>
  );
}

/** One twin: VM, state, age, the lease counting down, forwards, and Renew and Destroy (asked twice). */
function TwinItem({
  twin,
  nowMs,
  busy,
  onRenew,
  onDestroy,
  onOpenForward,
}: {
  twin: TwinSummary;
  nowMs: number;
  busy: boolean;
  onRenew: () => void;
  onDestroy: () => void;
  onOpenForward: (guestPort: number) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const name = twin.vmName ?? twin.vmId;
  const live = twin.state === 'live';
  const left = secondsLeftAt(twin, nowMs);
  const warning = renewWarning(twin);
  return (
    <li className={`twin-item twin-item-${twin.state}`} data-testid="twin-item" data-twin-id={twin.twinId} data-state={twin.state} tabIndex={0} data-list-item aria-label={`Twin of ${name}, ${stateLabels[twin.state]}`}>
      <div className="twin-item-header">
        <span className="vm-name">{name}</span>
        <span className={`badge badge-small${live ? ' badge-ok' : ''}`} data-testid="twin-state">
          {stateLabels[twin.state]}
        </span>
        <span className="muted">
          age <span data-testid="twin-age">{formatAge(twin.createdAt, nowMs)}</span>
        </span>
        {live ? (
          <span>
            time left{' '}
            <strong className="mono" data-testid="twin-time-left" role="timer" aria-label={`${formatCountdown(left)} left`}>
              {formatCountdown(left)}
            </strong>
          </span>
        ) : null}
        <span className="muted" title="How the host enforces the lease">
          lease: {twin.leaseMechanism}
          {twin.autoRenew ? ', renewed by this app' : ''}
        </span>
        {live ? (
          <span className="button-row twin-actions">
            <button type="button" className="button button-small" data-testid="twin-renew" disabled={busy} onClick={onRenew}>
              Renew (+{Math.round(twin.ttlSeconds / 60)} min)
            </button>
            {confirming ? (
              <>
                <span role="alert">Destroy this twin?</span>
                <button
                  type="button"
                  className="button button-small button-danger"
                  data-testid="twin-destroy-confirm"
                  disabled={busy}
                  autoFocus
                  onClick={() => {
                    setConfirming(false);
                    onDestroy();
                  }}
                >
                  Destroy
                </button>
                <button type="button" className="button button-small" data-testid="twin-destroy-keep" onClick={() => setConfirming(false)}>
                  Keep
                </button>
              </>
            ) : (
              <button type="button" className="button button-small button-quiet" data-testid="twin-destroy" disabled={busy} onClick={() => setConfirming(true)}>
                Destroy…
              </button>
            )}
          </span>
        ) : null}
      </div>
      {warning !== null ? (
        <p className="twin-warning" role="alert" data-testid="twin-renew-warning">
          {warning}
        </p>
      ) : null}
      {twin.forwards.length > 0 && live ? (
        <ul className="twin-forwards" aria-label={`Forwards of ${name}`}>
          {twin.forwards.map((forward) => (
            <ForwardItem key={forward.guestPort} forward={forward} disabled={busy} onOpen={() => onOpenForward(forward.guestPort)} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

/** A host's twins; `nowMs` ticks so each countdown moves. */
export function TwinList({
  twins,
  nowMs,
  busy,
  onRenew,
  onDestroy,
  onOpenForward,
}: {
  twins: readonly TwinSummary[];
  nowMs: number;
  busy: Readonly<Record<string, true>>;
  onRenew: (twin: TwinSummary) => void;
  onDestroy: (twin: TwinSummary) => void;
  onOpenForward: (twin: TwinSummary, guestPort: number) => void;
}) {
  return (
    <section className="twins" data-testid="twins" aria-label="Twins">
      <h4 className="subheading">Twins</h4>
      {twins.length === 0 ? (
        <p className="muted" data-testid="twins-empty">
          No twins. Start one from a cloneable VM below (Start twin…).
        </p>
      ) : (
        // No key handler of its own: the host list around it moves focus through hosts, twins and VMs in one order.
        <ul className="twin-list">
          {twins.map((twin) => (
            <TwinItem
              key={twin.twinId}
              twin={twin}
              nowMs={nowMs}
              busy={busy[twin.twinId] === true}
              onRenew={() => onRenew(twin)}
              onDestroy={() => onDestroy(twin)}
              onOpenForward={(guestPort) => onOpenForward(twin, guestPort)}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
