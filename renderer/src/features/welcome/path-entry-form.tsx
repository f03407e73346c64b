import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';

/** A typed path, for web mode where no native file dialog exists. Escape closes it. */
export function PathEntryForm({
  onOpen,
  onClose,
  busy,
}: {
  onOpen: (path: string) => void;
  onClose: () => void;
  busy: boolean;
}) {
  const [path, setPath] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (path.trim() !== '') onOpen(path.trim());
  };
  const escape = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') {
      event.preventDefault();
      onClose();
    }
  };
  return (
    <form className="path-entry" onSubmit={submit} onKeyDown={escape}>
      <label htmlFor="capture-path">Path of a capture on the machine running the workbench</label>
      <div className="path-entry-row">
        <input
          id="capture-path"
          ref={input}
          className="input input-mono"
          data-testid="capture-path-input"
          value={path}
          placeholder="/srv/captures/web-01-2026-11-26.civic"
          spellCheck={false}
          autoComplete="off"
          onChange={(event) => setPath(event.target.value)}
        />
        <button type="submit" className="button button-primary" disabled={busy || path.trim() === ''}>
          Open
        </button>
        <button type="button" className="button button-quiet" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
