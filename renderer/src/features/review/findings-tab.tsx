import type { Finding, TriageRecord, TriageState } from '../../../../preload/api';
import type { FindingGrouping } from '../../store/logic/findings-order';
import { FindingsList } from './findings-list';

/** The Findings tab: grouping, where triage is kept, and every finding with its triage. */
export function FindingsTab({
  findings,
  triage,
  grouping,
  onGrouping,
  onSelect,
  onTriage,
}: {
  readonly findings: readonly Finding[];
  readonly triage: TriageRecord | null;
  readonly grouping: FindingGrouping;
  readonly onGrouping: (grouping: FindingGrouping) => void;
  readonly onSelect: (finding: Finding) => void;
  readonly onTriage: (findingId: string, state: TriageState, note: string) => void;
}) {
  return (
    <section className="panel" aria-label="Findings">
      <div className="toolbar">
        <label>
          Group by{' '}
          <select className="input input-small" data-testid="findings-grouping" value={grouping} onChange={(event) => onGrouping(event.target.value as FindingGrouping)}>
            <option value="severity">severity</option>
            <option value="rule">rule</option>
            <option value="process">process</option>
          </select>
        </label>
        {triage ? (
          <span className="muted">
            Triage kept {triage.location === 'beside-capture' ? 'beside the capture' : 'in the app data folder'}: <span className="mono">{triage.path}</span>
          </span>
        ) : null}
      </div>
      <FindingsList findings={findings} triage={triage?.entries ?? []} selectedPid={null} grouping={grouping} onSelect={onSelect} onTriage={onTriage} />
    </section>
  );
}
