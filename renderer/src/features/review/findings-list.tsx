import type { Finding } from '../../../../preload/api';
import { GuestTextView } from '../../components/guest-text-view';
import { moveFocusInList } from '../../components/list-keyboard';
import { SeverityBadge } from '../../components/severity-badge';

/** Findings worst first; choosing one selects its process. */
export function FindingsList({
  findings,
  selectedPid,
  onSelect,
}: {
  findings: readonly Finding[];
  selectedPid: number | null;
  onSelect: (finding: Finding) => void;
}) {
  if (findings.length === 0) {
    return <p className="muted">The detector reported nothing for this capture.</p>;
  }
  return (
    <ul className="findings-list" aria-label="Findings" onKeyDown={moveFocusInList}>
      {findings.map((finding) => {
        const current = selectedPid !== null && finding.pids.includes(selectedPid);
        return (
          <li
            key={finding.id}
            className={current ? `finding finding-${finding.severity} finding-current` : `finding finding-${finding.severity}`}
            data-testid="finding-item"
            data-finding-id={finding.id}
            onClick={() => onSelect(finding)}
          >
            <button type="button" className="finding-title" data-list-item>
              <SeverityBadge severity={finding.severity} />
              <span>{finding.title}</span>
            </button>
            <p className="finding-meta">
              <code>{finding.rule}</code> · pids {finding.pids.length === 0 ? '—' : finding.pids.join(', ')}
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
          </li>
        );
      })}
    </ul>
  );
}
