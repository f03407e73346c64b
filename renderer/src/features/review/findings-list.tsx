import { useState } from 'react';
import type { Finding, FindingTriage, TriageState } from '../../../../preload/api';
import { GuestTextView } from '../../components/guest-text-view';
import { moveFocusInList } from '../../components/list-keyboard';
import { SeverityBadge } from '../../components/severity-badge';
import { groupFindings, type FindingGrouping } from '../../store/logic/findings-order';

const triageLabels: Record<TriageState, string> = { new: 'New', confirmed: 'Confirmed', 'false-positive': 'False positive' };

/** Findings grouped by severity, rule or process; each with its evidence, false positives, next step and triage. */
export function FindingsList({
  findings,
  triage,
  selectedPid,
  grouping = 'severity',
  onSelect,
  onTriage,
}: {
  findings: readonly Finding[];
  triage?: readonly FindingTriage[];
  selectedPid: number | null;
  grouping?: FindingGrouping;
  onSelect: (finding: Finding) => void;
  onTriage?: (findingId: string, state: TriageState, note: string) => void;
}) {
  if (findings.length === 0) {
    return <p className="muted">The detector reported nothing for this capture.</p>;
  }
  const byId = new Map((triage ?? []).map((entry) => [entry.findingId, entry]));
  return (
    <div className="findings-groups">
      {groupFindings(findings, grouping).map((group) => (
        <section key={group.key} className="findings-group" aria-label={group.label}>
          {grouping === 'severity' ? null : <h4 className="subheading">{group.label}</h4>}
          <ul className="findings-list" aria-label="Findings" onKeyDown={moveFocusInList}>
            {group.findings.map((finding) => (
              <FindingItem
                key={`${group.key}-${finding.id}`}
                finding={finding}
                triage={byId.get(finding.id)}
                current={selectedPid !== null && finding.pids.includes(selectedPid)}
                onSelect={onSelect}
                {...(onTriage ? { onTriage } : {})}
              />
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

function FindingItem({
  finding,
  triage,
  current,
  onSelect,
  onTriage,
}: {
  finding: Finding;
  triage: FindingTriage | undefined;
  current: boolean;
  onSelect: (finding: Finding) => void;
  onTriage?: (findingId: string, state: TriageState, note: string) => void;
}) {
  const state = triage?.state ?? 'new';
  const [note, setNote] = useState(triage?.note ?? '');
  const classes = ['finding', `finding-${finding.severity}`, `finding-triage-${state}`];
  if (current) classes.push('finding-current');
  return (
    <li className={classes.join(' ')} data-testid="finding-item" data-finding-id={finding.id} data-triage={state} onClick={() => onSelect(finding)}>
      <button type="button" className="finding-title" data-list-item>
        <SeverityBadge severity={finding.severity} />
        <span>{finding.title}</span>
      </button>
      <p className="finding-meta">
        <code>{finding.rule}</code> · pids {finding.pids.length === 0 ? '—' : finding.pids.slice(0, 20).join(', ')}
        {finding.pids.length > 20 ? ` and ${finding.pids.length - 20} more` : ''}
      </p>
      <p className="finding-detail">
        <GuestTextView value={finding.detail} />
      </p>
      <dl className="finding-notes">
        <dt>False positives</dt>
        <dd>{finding.falsePositives}</dd>
        <dt>Next step</dt>
        <dd>{finding.nextStep}</dd>
      </dl>
      {onTriage ? (
        // Triage controls sit inside the clickable item; using them must not also select the process.
        <div className="triage-row" onClick={(event) => event.stopPropagation()}>
          <label>
            Triage{' '}
            <select
              className="input input-small"
              data-testid="triage-state"
              value={state}
              onChange={(event) => onTriage(finding.id, event.target.value as TriageState, note)}
            >
              {(Object.keys(triageLabels) as TriageState[]).map((option) => (
                <option key={option} value={option}>
                  {triageLabels[option]}
                </option>
              ))}
            </select>
          </label>
          <input
            className="input input-small triage-note"
            data-testid="triage-note"
            placeholder="Note"
            maxLength={10_000}
            value={note}
            onChange={(event) => setNote(event.target.value)}
            onBlur={() => {
              if (note !== (triage?.note ?? '')) onTriage(finding.id, state, note);
            }}
          />
        </div>
      ) : null}
    </li>
  );
}
