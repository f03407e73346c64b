import { useState, type FormEvent } from 'react';
import type { WorkstationKeyInfo } from '../../../../preload/api';
import { formatTime } from '../../components/format';

/** The file name an exported public key is saved under: the fingerprint's first characters make it findable. */
export function publicKeyFileName(key: WorkstationKeyInfo): string {
  const tag = key.fingerprint.replace(/^SHA256:/, '').replace(/[^A-Za-z0-9]/g, '').slice(0, 12);
  return `civic-workstation-${tag}.pub.pem`;
}

/** The workstation key: fingerprint, name, public key, and export as a file. */
export function WorkstationKeySection({
  workstationKey,
  onRename,
  onExport,
}: {
  workstationKey: WorkstationKeyInfo;
  onRename: (name: string) => void;
  onExport: (key: WorkstationKeyInfo) => void;
}) {
  const [name, setName] = useState(workstationKey.name ?? '');
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    onRename(name);
  };
  return (
    <section className="settings-section" aria-labelledby="workstation-key-title" data-testid="workstation-key">
      <h2 id="workstation-key-title">Workstation signing key</h2>
      <p className="muted">
        Every capture made here is signed with this Ed25519 key. A signature shows which workstation key sealed a capture and that
        its manifest and custody log are unchanged since; it does not prove who sat at the keyboard. Share the public key with
        whoever checks your captures.
      </p>
      <dl className="settings-facts">
        <div>
          <dt>Fingerprint</dt>
          <dd className="mono" data-testid="workstation-key-fingerprint">
            {workstationKey.fingerprint}
          </dd>
        </div>
        <div>
          <dt>Made</dt>
          <dd className="mono">{formatTime(workstationKey.createdAt)}</dd>
        </div>
      </dl>
      <form className="settings-form" onSubmit={submit}>
        <label htmlFor="workstation-key-name">Name shown with the fingerprint</label>
        <input
          id="workstation-key-name"
          className="input"
          data-testid="workstation-key-name"
          maxLength={128}
          value={name}
          placeholder="e.g. SOC laptop 7"
          onChange={(event) => setName(event.target.value)}
        />
        <button type="submit" className="button button-small" data-testid="workstation-key-save">
          Save name
        </button>
      </form>
      <pre className="mono settings-public-key" data-testid="workstation-key-pem">
        {workstationKey.publicKeyPem}
      </pre>
      <button type="button" className="button" data-testid="workstation-key-export" onClick={() => onExport(workstationKey)}>
        Export public key…
      </button>
    </section>
  );
}
