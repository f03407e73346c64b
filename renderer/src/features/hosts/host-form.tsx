import { useState, type FormEvent, type KeyboardEvent } from 'react';
import type { HostForm as HostFormValue, WorkbenchError } from '../../../../preload/api';
import { ErrorBanner } from '../../components/error-banner';
import { validateHostDraft, type HostFormDraft, type HostFormField } from './host-form-fields';

const fields: ReadonlyArray<{ field: HostFormField; label: string; testId: string; placeholder?: string; lockedForSshConfig: boolean }> = [
  { field: 'alias', label: 'Name', testId: 'host-form-alias', lockedForSshConfig: true },
  { field: 'hostName', label: 'Host', testId: 'host-form-host', placeholder: 'kvm1.example.org', lockedForSshConfig: true },
  { field: 'port', label: 'Port', testId: 'host-form-port', lockedForSshConfig: true },
  { field: 'user', label: 'User', testId: 'host-form-user', lockedForSshConfig: true },
  { field: 'identityFile', label: 'Identity file', testId: 'host-form-identity', placeholder: '~/.ssh/id_ed25519', lockedForSshConfig: true },
  { field: 'proxyJump', label: 'ProxyJump', testId: 'host-form-proxyjump', placeholder: 'user@bastion:22', lockedForSshConfig: true },
];

/**
 * Adds or edits a host. Fields are checked as the user saves; errors from main (which checks again)
 * show under the form, and one naming a field (`subject`) marks that field.
 */
export function HostForm({
  initial,
  mode,
  fromSshConfig,
  serverError,
  onSave,
  onCancel,
}: {
  initial: HostFormDraft;
  mode: 'add' | 'edit';
  fromSshConfig: boolean;
  serverError: WorkbenchError | null;
  onSave: (form: HostFormValue) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState(initial);
  const [errors, setErrors] = useState<Partial<Record<HostFormField, string>>>({});
  const serverField = serverError?.code === 'VALIDATION_FAILED' ? serverError.subject : undefined;
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const checked = validateHostDraft(draft);
    if ('errors' in checked) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    onSave(checked.form);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLFormElement>): void => {
    if (event.key === 'Escape') {
      event.preventDefault();
      onCancel();
    }
  };
  const describe = (field: HostFormField): string | undefined => errors[field] ?? (serverField === field ? serverError?.message : undefined);
  return (
    <form className="panel host-form" aria-label={mode === 'add' ? 'Add host' : 'Edit host'} data-testid="host-form" onSubmit={submit} onKeyDown={onKeyDown} noValidate>
      <h3 className="panel-title">{mode === 'add' ? 'Add a host' : `Edit ${initial.alias}`}</h3>
      {fromSshConfig ? <p className="muted">This host comes from ~/.ssh/config: edit it there. Only its QMP folders are kept here.</p> : null}
      <div className="host-form-grid">
        {fields.map(({ field, label, testId, placeholder, lockedForSshConfig }) => {
          const problem = describe(field);
          return (
            <label key={field} className="form-field">
              <span>{label}</span>
              <input
                className="input"
                data-testid={testId}
                value={draft[field]}
                placeholder={placeholder}
                disabled={fromSshConfig && lockedForSshConfig}
                inputMode={field === 'port' ? 'numeric' : undefined}
                aria-invalid={problem !== undefined}
                aria-describedby={problem !== undefined ? `${testId}-error` : undefined}
                onChange={(event) => setDraft({ ...draft, [field]: event.target.value })}
                autoFocus={field === 'alias' && !fromSshConfig}
              />
              {problem !== undefined ? (
                <span className="form-error" id={`${testId}-error`} data-testid={`${testId}-error`}>
                  {problem}
                </span>
              ) : null}
            </label>
          );
        })}
        <label className="form-field host-form-wide">
          <span>QMP folders (one per line; empty uses the helper&apos;s defaults)</span>
          <textarea
            className="input input-mono"
            data-testid="host-form-qmpdirs"
            rows={3}
            value={draft.qmpDirs}
            aria-invalid={describe('qmpDirs') !== undefined}
            onChange={(event) => setDraft({ ...draft, qmpDirs: event.target.value })}
            autoFocus={fromSshConfig}
          />
          {describe('qmpDirs') !== undefined ? (
            <span className="form-error" data-testid="host-form-qmpdirs-error">
              {describe('qmpDirs')}
            </span>
          ) : null}
        </label>
      </div>
      {serverError !== null && serverField === undefined ? <ErrorBanner error={serverError} /> : null}
      <div className="button-row">
        <button type="button" className="button" data-testid="host-cancel" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" data-testid="host-save">
          Save
        </button>
      </div>
    </form>
  );
}
