import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { HostKeyPromptEvent } from '../../../../preload/api';

/**
 * Asks whether to trust a host key no known_hosts file knows.
 *
 * Reject has the focus and Escape rejects: trusting a key must be a deliberate act.
 */
export function HostKeyDialog({ prompt, onAnswer }: { prompt: HostKeyPromptEvent; onAnswer: (accept: boolean) => void }) {
  const rejectButton = useRef<HTMLButtonElement>(null);
  useEffect(() => rejectButton.current?.focus(), [prompt.promptId]);
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (event.key === 'Escape') {
      event.preventDefault();
      onAnswer(false);
    }
  };
  const name = prompt.port === 22 ? prompt.host : `[${prompt.host}]:${prompt.port}`;
  return (
    <div className="modal-backdrop">
      <div className="modal panel" role="dialog" aria-modal="true" aria-labelledby="hostkey-title" data-testid="hostkey-dialog" onKeyDown={onKeyDown}>
        <h3 id="hostkey-title" className="panel-title">
          Unknown host key for {name}
        </h3>
        <p>No known_hosts file knows this host. Compare the fingerprint with one from the host&apos;s owner before trusting it.</p>
        <dl className="field-list">
          <dt>Key type</dt>
          <dd className="mono" data-testid="hostkey-type">
            {prompt.keyType}
          </dd>
          <dt>Fingerprint</dt>
          <dd className="mono" data-testid="hostkey-fingerprint">
            {prompt.fingerprint}
          </dd>
        </dl>
        <div className="button-row">
          <button ref={rejectButton} type="button" className="button" data-testid="hostkey-reject" onClick={() => onAnswer(false)}>
            Reject
          </button>
          <button type="button" className="button button-primary" data-testid="hostkey-accept" onClick={() => onAnswer(true)}>
            Accept and remember
          </button>
        </div>
      </div>
    </div>
  );
}
