import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { SecretPromptEvent } from '../../../../preload/api';

const titles: Record<SecretPromptEvent['kind'], string> = {
  passphrase: 'Key passphrase',
  password: 'Password',
  'keyboard-interactive': 'The host asks',
};

/**
 * Asks for a passphrase or password while connecting.
 *
 * The answer lives only in this dialog's state until it is handed over; it is never echoed unless the
 * host said the question is not secret. Escape cancels.
 */
export function SecretDialog({ prompt, onAnswer }: { prompt: SecretPromptEvent; onAnswer: (value: string | null) => void }) {
  const [value, setValue] = useState('');
  const input = useRef<HTMLInputElement>(null);
  // One dialog instance per prompt (the container keys it by promptId), so no answer carries over.
  useEffect(() => input.current?.focus(), []);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    onAnswer(value);
    setValue('');
  };
  const onKeyDown = (event: KeyboardEvent<HTMLFormElement>): void => {
    if (event.key === 'Escape') {
      event.preventDefault();
      setValue('');
      onAnswer(null);
    }
  };
  return (
    <div className="modal-backdrop">
      <form className="modal panel" role="dialog" aria-modal="true" aria-labelledby="secret-title" data-testid="secret-dialog" onSubmit={submit} onKeyDown={onKeyDown}>
        <h3 id="secret-title" className="panel-title">
          {titles[prompt.kind]}
        </h3>
        <p className="muted mono">{prompt.target}</p>
        <label className="form-field">
          <span>{prompt.prompt}</span>
          <input
            ref={input}
            className="input"
            data-testid="secret-input"
            type={prompt.echo ? 'text' : 'password'}
            autoComplete="off"
            spellCheck={false}
            value={value}
            onChange={(event) => setValue(event.target.value)}
          />
        </label>
        <div className="button-row">
          <button type="button" className="button" data-testid="secret-cancel" onClick={() => onAnswer(null)}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" data-testid="secret-submit">
            Continue
          </button>
        </div>
      </form>
    </div>
  );
}
