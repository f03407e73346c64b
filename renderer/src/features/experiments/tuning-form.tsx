import { useState, type FormEvent, type ReactNode } from 'react';
import type { ServiceProfile, TuningRequest } from '../../../../preload/api';
import { formatDuration } from '../../components/experiment-format';
import {
  draftFromProfile,
  emptyTuningDraft,
  estimateOfDraft,
  maxValues,
  minRepetitions,
  minValues,
  reloadAllowanceSeconds,
  validateTuningDraft,
  type TuningDraft,
  type TuningField,
} from './tuning-form-fields';

/** The estimate shown before Start, or what it still needs. */
export function estimateSentence(draft: TuningDraft): string {
  const estimate = estimateOfDraft(draft);
  if (estimate === null) return `The estimate needs ${minValues} to ${maxValues} values, at least ${minRepetitions} repetitions, and warm-up and duration in seconds.`;
  return `About ${formatDuration(estimate.seconds)}: ${estimate.values} values × ${estimate.repetitions} repetitions × (${estimate.warmupSeconds} s warm-up + ${estimate.durationSeconds} s measured + ~${reloadAllowanceSeconds} s reload).`;
}

const testIds: Readonly<Record<TuningField, string>> = {
  configPath: 'tuning-config-path',
  parameter: 'tuning-parameter',
  values: 'tuning-values',
  reloadCommand: 'tuning-reload',
  port: 'tuning-port',
  repetitions: 'tuning-repetitions',
  concurrency: 'tuning-concurrency',
  rate: 'tuning-rate',
  warmupSeconds: 'tuning-warmup',
  durationSeconds: 'tuning-duration',
  paths: 'tuning-paths',
  logPath: 'tuning-log-path',
  lastN: 'tuning-log-last',
};

/**
 * Live tuning: one parameter of a service in the twin, each candidate value measured under load,
 * interleaved and repeated. The estimate of the total time shows before Start.
 */
export function TuningForm({
  profiles,
  disabled,
  onStart,
  target,
}: {
  profiles: readonly ServiceProfile[];
  disabled: boolean;
  target: { readonly hostId: string; readonly twinId: string };
  onStart: (request: TuningRequest) => void;
}) {
  const [draft, setDraft] = useState<TuningDraft>(() => (profiles[0] ? draftFromProfile(emptyTuningDraft, profiles[0]) : emptyTuningDraft));
  const [errors, setErrors] = useState<Partial<Record<TuningField, string>>>({});
  const profile = profiles.find((candidate) => candidate.id === draft.profileId);
  const change = (patch: Partial<TuningDraft>): void => setDraft({ ...draft, ...patch });
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const checked = validateTuningDraft(draft, target);
    if ('errors' in checked) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    onStart(checked.request);
  };
  const field = (name: TuningField, label: string, input: { mono?: boolean; numeric?: boolean; placeholder?: string } = {}): ReactNode => {
    const testId = testIds[name];
    const problem = errors[name];
    return (
      <label className="form-field">
        <span>{label}</span>
        <input
          className={input.mono ? 'input input-mono' : 'input'}
          data-testid={testId}
          value={draft[name]}
          inputMode={input.numeric ? 'numeric' : undefined}
          placeholder={input.placeholder}
          disabled={disabled}
          aria-invalid={problem !== undefined}
          aria-describedby={problem !== undefined ? `${testId}-error` : undefined}
          onChange={(event) => change({ [name]: event.target.value })}
        />
        {problem !== undefined ? (
          <span className="form-error" id={`${testId}-error`} data-testid={`${testId}-error`}>
            {problem}
          </span>
        ) : null}
      </label>
    );
  };
  return (
    <form className="panel experiment-form" aria-labelledby="tuning-heading" data-testid="tuning-form" onSubmit={submit} noValidate>
      <h3 id="tuning-heading" className="panel-title">
        Live tuning
      </h3>
      <p className="muted">
        Tries each value of one setting on the twin under replayed load, interleaved so drift hits every value alike. Production is only
        measured, never changed.
      </p>
      <div className="experiment-form-grid">
        <label className="form-field">
          <span>Service</span>
          <select
            className="input"
            data-testid="tuning-profile"
            value={draft.profileId}
            disabled={disabled}
            onChange={(event) => {
              const picked = profiles.find((candidate) => candidate.id === event.target.value);
              setDraft(picked ? draftFromProfile(draft, picked) : { ...draft, profileId: '' });
            }}
          >
            {profiles.map((candidate) => (
              <option key={candidate.id} value={candidate.id}>
                {candidate.title}
              </option>
            ))}
            <option value="">Custom (any key = value file)</option>
          </select>
        </label>
        {field('configPath', 'Configuration file in the twin', { mono: true, placeholder: '/etc/service.conf' })}
        {profile ? (
          <label className="form-field">
            <span>Parameter</span>
            <select
              className="input"
              data-testid="tuning-parameter"
              value={draft.parameter}
              disabled={disabled}
              onChange={(event) => setDraft(draftFromProfile(draft, profile, event.target.value))}
            >
              {profile.parameters.map((parameter) => (
                <option key={parameter.name} value={parameter.name} title={parameter.description}>
                  {parameter.name}
                </option>
              ))}
            </select>
            <span className="muted">{profile.parameters.find((parameter) => parameter.name === draft.parameter)?.description}</span>
          </label>
        ) : (
          field('parameter', 'Parameter', { mono: true, placeholder: 'worker_connections' })
        )}
        {field('values', `Candidate values (${minValues}–${maxValues}, comma separated)`, { mono: true, placeholder: '512, 1024, 2048' })}
        {field('reloadCommand', profile ? "Reload command (empty: the profile's own)" : 'Reload command', { mono: true, placeholder: 'nginx -s reload' })}
        {field('port', 'Service port in the guest', { numeric: true })}
        {field('repetitions', `Repetitions per value (at least ${minRepetitions})`, { numeric: true })}
      </div>
      <fieldset className="experiment-fieldset">
        <legend>Load</legend>
        <label className="checkbox">
          <input type="radio" name="tuning-mode" data-testid="tuning-mode-closed" checked={draft.mode === 'closed'} disabled={disabled} onChange={() => change({ mode: 'closed' })} />
          Closed loop (a fixed number of requests in flight)
        </label>
        <label className="checkbox">
          <input type="radio" name="tuning-mode" data-testid="tuning-mode-open" checked={draft.mode === 'open'} disabled={disabled} onChange={() => change({ mode: 'open' })} />
          Open loop (a fixed rate offered)
        </label>
        <div className="experiment-form-grid">
          {draft.mode === 'closed' ? field('concurrency', 'Concurrency', { numeric: true }) : field('rate', 'Rate (requests per second)', { numeric: true })}
          {field('warmupSeconds', 'Warm-up (seconds)', { numeric: true })}
          {field('durationSeconds', 'Duration per measurement (seconds)', { numeric: true })}
        </div>
      </fieldset>
      <fieldset className="experiment-fieldset">
        <legend>Requests</legend>
        <label className="checkbox">
          <input type="radio" name="tuning-source" data-testid="tuning-source-paths" checked={draft.sourceKind === 'paths'} disabled={disabled} onChange={() => change({ sourceKind: 'paths' })} />
          URL paths
        </label>
        <label className="checkbox">
          <input
            type="radio"
            name="tuning-source"
            data-testid="tuning-source-log"
            checked={draft.sourceKind === 'access-log'}
            disabled={disabled}
            onChange={() => change({ sourceKind: 'access-log' })}
          />
          Replay the service&apos;s access log in the twin
        </label>
        <div className="experiment-form-grid">
          {draft.sourceKind === 'paths' ? (
            field('paths', 'Paths (comma separated)', { mono: true, placeholder: '/' })
          ) : (
            <>
              {field('logPath', 'Access log in the twin', { mono: true, placeholder: '/var/log/nginx/access.log' })}
              {field('lastN', 'Its last N requests', { numeric: true })}
            </>
          )}
        </div>
      </fieldset>
      <p className="experiment-estimate" data-testid="tuning-estimate" aria-live="polite">
        {estimateSentence(draft)}
      </p>
      <div className="button-row">
        <button type="submit" className="button button-primary" data-testid="tuning-start" disabled={disabled}>
          Start tuning
        </button>
      </div>
    </form>
  );
}
