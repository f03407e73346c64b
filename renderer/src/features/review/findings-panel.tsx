import { useMemo } from 'react';
import type { Finding, FindingTriage } from '../../../../preload/api';
import { countBySeverity, severityOrder } from '../../store/logic/findings-order';
import { FindingsList } from './findings-list';

/** The findings beside the process table: counts by severity, then the list, the selected process's marked. */
export function FindingsPanel({
  findings,
  triage,
  selectedPid,
  onSelect,
}: {
  readonly findings: readonly Finding[];
  readonly triage: readonly FindingTriage[];
  readonly selectedPid: number | null;
  readonly onSelect: (finding: Finding) => void;
}) {
  const severityCounts = useMemo(() => countBySeverity(findings), [findings]);
  return (
    <section className="panel findings-panel" aria-labelledby="findings-heading">
      <header className="panel-header">
        <h3 id="findings-heading" className="panel-title">
          Findings <span className="muted">({findings.length})</span>
        </h3>
        <span className="severity-counts">
          {severityOrder
            .filter((severity) => severityCounts[severity] > 0)
            .map((severity) => (
              <span key={severity} className={`severity severity-${severity}`}>
                {severityCounts[severity]} {severity}
              </span>
            ))}
        </span>
      </header>
      <FindingsList findings={findings} triage={triage} selectedPid={selectedPid} onSelect={onSelect} />
    </section>
  );
}
