import { useState, type FormEvent } from 'react';
import type { AgentRunRequest } from '../../../../preload/api';
import { emptyAgentsDraft, validateAgentsDraft, type AgentsDraft, type AgentsField } from './tuning-form-fields';

/** Monitoring agents: run the guest's own agent and the toolkit's node_exporter in the twin, and chart what they saw. */
export function AgentsForm({
  disabled,
  target,
  onStart,
}: {
  disabled: boolean;
  target: { readonly hostId: string; readonly twinId: string };
  onStart: (request: AgentRunRequest) => void;
}) {
  const [draft, setDraft] = useState<AgentsDraft>(emptyAgentsDraft);
  const [errors, setErrors] = useState<Partial<Record<AgentsField, string>>>({});
  const change = (patch: Partial<AgentsDraft>): void => setDraft({ ...draft, ...patch });
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const checked = validateAgentsDraft(draft, target);
    if ('errors' in checked) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    onStart(checked.request);
  };
  const problem = (name: AgentsField, testId: string) =>
    errors[name] !== undefined ? (
      <span className="form-error" id={`${testId}-error`} data-testid={`${testId}-error`}>
        {errors[name]}
      </span>
    ) : null;
  return (
    <form className="panel experiment-form" aria-labelledby="agents-heading" data-testid="agents-form" onSubmit={submit} noValidate>
      <h3 id="agents-heading" className="panel-title">
        Monitoring agents
      </h3>
      <p className="muted">Runs monitoring agents inside the twin for a while and brings their samples back as series.</p>
      <fieldset className="experiment-fieldset" aria-describedby={errors.agents !== undefined ? 'agents-pick-error' : undefined}>
        <legend>Agents</legend>
        <label className="checkbox">
          <input type="checkbox" data-testid="agents-guest" checked={draft.guest} disabled={disabled} onChange={(event) => change({ guest: event.target.checked })} />
          The guest&apos;s own agent (sysstat)
        </label>
        <label className="checkbox">
          <input type="checkbox" data-testid="agents-node-exporter" checked={draft.nodeExporter} disabled={disabled} onChange={(event) => change({ nodeExporter: event.target.checked })} />
          node_exporter from the toolkit
        </label>
        {problem('agents', 'agents-pick')}
      </fieldset>
      <div className="experiment-form-grid">
        <label className="form-field">
          <span>Seconds</span>
          <input
            className="input"
            data-testid="agents-seconds"
            inputMode="numeric"
            value={draft.seconds}
            disabled={disabled}
            aria-invalid={errors.seconds !== undefined}
            aria-describedby={errors.seconds !== undefined ? 'agents-seconds-error' : undefined}
            onChange={(event) => change({ seconds: event.target.value })}
          />
          {problem('seconds', 'agents-seconds')}
        </label>
        <label className="form-field">
          <span>Sample interval (seconds)</span>
          <input
            className="input"
            data-testid="agents-interval"
            inputMode="numeric"
            value={draft.intervalSeconds}
            disabled={disabled}
            aria-invalid={errors.intervalSeconds !== undefined}
            aria-describedby={errors.intervalSeconds !== undefined ? 'agents-interval-error' : undefined}
            onChange={(event) => change({ intervalSeconds: event.target.value })}
          />
          {problem('intervalSeconds', 'agents-interval')}
        </label>
      </div>
      <div className="button-row">
        <button type="submit" className="button button-primary" data-testid="agents-start" disabled={disabled}>
          Start agents
        </button>
      </div>
    </form>
  );
}
