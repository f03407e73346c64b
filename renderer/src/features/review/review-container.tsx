import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ErrorBanner } from '../../components/error-banner';
import { IntegrityBadge } from '../../components/integrity-badge';
import { countBySeverity, severityOrder } from '../../store/logic/findings-order';
import { visibleProcessRows } from '../../store/logic/visible-process-rows';
import { useWorkbench } from '../../store/store-context';
import { WelcomeContainer } from '../welcome/welcome-container';
import { FindingsList } from './findings-list';
import { ProcessDetail } from './process-detail';
import { ProcessTable } from './process-table';
import { ProvenanceSummary } from './provenance-summary';

/** Review of the opened capture, or the welcome when none is open. */
export function ReviewContainer() {
  const overview = useWorkbench((state) => state.overview);
  return overview ? <CaptureReview /> : <WelcomeContainer />;
}

function CaptureReview() {
  const overview = useWorkbench((state) => state.overview);
  const error = useWorkbench((state) => state.captureError);
  const tree = useWorkbench((state) => state.processTree);
  const findings = useWorkbench((state) => state.findings);
  const selectedPid = useWorkbench((state) => state.selectedPid);
  const { query, flaggedOnly, collapsed } = useWorkbench(
    useShallow((state) => ({ query: state.processQuery, flaggedOnly: state.flaggedOnly, collapsed: state.collapsed })),
  );
  const actions = useWorkbench(
    useShallow((state) => ({
      close: state.closeCapture,
      select: state.selectProcess,
      selectFinding: state.selectFinding,
      setQuery: state.setProcessQuery,
      setFlaggedOnly: state.setFlaggedOnly,
      toggle: state.toggleBranch,
      move: state.moveTreeCursor,
      dismissError: state.dismissCaptureError,
    })),
  );
  const rows = useMemo(
    () => visibleProcessRows(tree, { query, flaggedOnly, collapsed }),
    [tree, query, flaggedOnly, collapsed],
  );
  const selected = selectedPid === null ? undefined : tree.byPid.get(selectedPid);
  const selectedFindings = useWorkbench(
    useShallow((state) =>
      state.selectedPid === null ? [] : state.findings.filter((finding) => finding.pids.includes(state.selectedPid as number)),
    ),
  );
  const severityCounts = useMemo(() => countBySeverity(findings), [findings]);
  if (!overview) return null;
  const matching = rows.filter((row) => row.matches).length;

  return (
    <div className="review">
      <header className="review-header">
        <div className="review-heading">
          <h2 className="review-title">{overview.title}</h2>
          <IntegrityBadge integrity={overview.integrity} />
        </div>
        <div className="review-header-actions">
          <span className="muted mono review-path" title={overview.path}>
            {overview.path}
          </span>
          <button type="button" className="button button-small" onClick={() => void actions.close()}>
            Close capture
          </button>
        </div>
      </header>
      <ProvenanceSummary provenance={overview.provenance} />
      {!overview.integrity.verified ? (
        <ul className="integrity-problems" aria-label="Integrity problems">
          {overview.integrity.problems.map((problem, index) => (
            <li key={index}>
              <ErrorBanner error={problem} />
            </li>
          ))}
        </ul>
      ) : null}
      {error ? <ErrorBanner error={error} onDismiss={actions.dismissError} /> : null}
      <div className="review-body">
        <section className="review-processes" aria-label="Process tree">
          <div className="toolbar">
            <input
              type="search"
              className="input"
              placeholder="Search name, argv, pid or user"
              aria-label="Search processes"
              data-testid="process-search"
              value={query}
              spellCheck={false}
              onChange={(event) => actions.setQuery(event.target.value)}
              onKeyDown={(event) => {
                if (event.key === 'Escape' && query !== '') {
                  event.preventDefault();
                  actions.setQuery('');
                }
              }}
            />
            <label className="checkbox">
              <input
                type="checkbox"
                data-testid="flagged-only"
                checked={flaggedOnly}
                onChange={(event) => actions.setFlaggedOnly(event.target.checked)}
              />
              Flagged only
            </label>
            <span className="toolbar-count muted" role="status">
              {matching === tree.byPid.size ? `${tree.byPid.size} processes` : `${matching} of ${tree.byPid.size} processes`}
            </span>
          </div>
          <ProcessTable
            rows={rows}
            byPid={tree.byPid}
            selectedPid={selectedPid}
            onSelect={actions.select}
            onToggle={actions.toggle}
            onKey={actions.move}
          />
        </section>
        <aside className="review-side">
          {selected ? (
            <ProcessDetail
              process={selected}
              findings={selectedFindings}
              onClose={() => actions.select(null)}
              onSelectParent={(pid) => actions.select(pid)}
            />
          ) : (
            <section className="panel panel-hint">
              <p className="muted">Select a process to see every field and its arguments.</p>
            </section>
          )}
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
            <FindingsList findings={findings} selectedPid={selectedPid} onSelect={actions.selectFinding} />
          </section>
        </aside>
      </div>
    </div>
  );
}
