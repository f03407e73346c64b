import type { CaptureAccess, CaptureStepId } from '../../../../preload/api';
import { stepChoices } from '../../store/logic/capture-plan';

/** The step checkboxes, the pid field for per-process steps, and the way-in choice. */
export function CaptureStepsForm({
  selected,
  pids,
  access,
  disabled,
  onToggle,
  onPids,
  onAccess,
}: {
  selected: ReadonlySet<CaptureStepId>;
  pids: string;
  access: CaptureAccess;
  disabled: boolean;
  onToggle: (id: CaptureStepId) => void;
  onPids: (text: string) => void;
  onAccess: (access: CaptureAccess) => void;
}) {
  const perProcess = stepChoices.some((choice) => choice.perProcess && selected.has(choice.id));
  return (
    <fieldset className="capture-steps" disabled={disabled}>
      <legend>Steps</legend>
      <ul className="capture-step-list">
        {stepChoices.map((choice) => (
          <li key={choice.id}>
            <label>
              <input type="checkbox" data-testid={`capture-step-${choice.id}`} checked={selected.has(choice.id)} onChange={() => onToggle(choice.id)} />{' '}
              {choice.label}
              {choice.perProcess ? <span className="muted"> (per process)</span> : null}
            </label>
          </li>
        ))}
      </ul>
      <label className="capture-pids">
        Process ids for per-process steps{' '}
        <input
          type="text"
          inputMode="numeric"
          data-testid="capture-pids"
          value={pids}
          placeholder="e.g. 412, 977"
          aria-describedby="capture-pids-help"
          onChange={(event) => onPids(event.target.value)}
        />
      </label>
      <p id="capture-pids-help" className="muted">
        {perProcess
          ? 'Pick them from a quick listing below, or type pids from a capture of this VM opened in Review.'
          : 'Only needed for backtraces, kernel stacks, core dumps and syscalls.'}
      </p>
      <label>
        Way in{' '}
        <select data-testid="capture-access" value={access} onChange={(event) => onAccess(event.target.value as CaptureAccess)}>
          <option value="auto">Automatic</option>
          <option value="qga">Guest agent</option>
          <option value="ssh">SSH into the clone</option>
          <option value="none">Agentless (memory dump only)</option>
        </select>
      </label>
    </fieldset>
  );
}
