import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ExportFormat, ExportResult } from '../../../../preload/api';
import { ErrorBanner } from '../../components/error-banner';
import { IntegrityBadge } from '../../components/integrity-badge';
import { countBySeverity, severityOrder, type FindingGrouping } from '../../store/logic/findings-order';
import { rowsAsText } from '../../store/logic/process-view';
import { reviewTabs, type ReviewTab } from '../../store/review-slice';
import { useWorkbench } from '../../store/store-context';
import { WelcomeContainer } from '../welcome/welcome-container';
import { ArtifactsView } from './artifacts-view';
import { CompareView } from './compare-view';
import { FindingsList } from './findings-list';
import { ProcessDetail } from './process-detail';
import { ProcessTable } from './process-table';
import { ProvenanceSummary } from './provenance-summary';
import { ProvenanceView } from './provenance-view';
import { SocketsView } from './sockets-view';
import { SystemView } from './system-view';
import { TimelineChart } from './timeline-chart';
import { isSelectedDetail } from '../../store/logic/process-selection';
import { SignatureBadge } from '../../components/signature-badge';

const tabLabels: Record<ReviewTab, string> = {
  processes: 'Processes',
  findings: 'Findings',
  sockets: 'Sockets',
  timeline: 'Timeline',
  provenance: 'Provenance',
  artifacts: 'Artifacts',
  system: 'System',
  compare: 'Compare',
};

/** Review of the opened capture, or the welcome when none is open. */
export function ReviewContainer() {
  const overview = useWorkbench((state) => state.overview);
  return overview ? <CaptureReview /> : <WelcomeContainer />;
}

/** Hands an export to the browser as a download (web mode); the object URL is never navigated to. */
function download(result: ExportResult): void {
  if (result.content === undefined) return;
  const url = URL.createObjectURL(new Blob([result.content], { type: result.mediaType }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = result.fileName;
  anchor.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

function CaptureReview() {
  const state = useWorkbench(
    useShallow((store) => ({
      overview: store.overview,
      captureError: store.captureError,
      reviewError: store.reviewError,
      tab: store.reviewTab,
      findings: store.findings,
      triage: store.triage,
      facts: store.facts,
      sockets: store.sockets,
      system: store.system,
      comparison: store.comparison,
      comparing: store.comparing,
      artifact: store.artifact,
    })),
  );
  const actions = useWorkbench(
    useShallow((store) => ({
      close: store.closeCapture,
      showTab: store.showReviewTab,
      selectFinding: store.selectFinding,
      selectProcess: store.selectProcess,
      setTriage: store.setTriage,
      compareWith: store.compareWith,
      clearComparison: store.clearComparison,
      exportReport: store.exportReport,
      openArtifact: store.openArtifact,
      dismissCaptureError: store.dismissCaptureError,
      dismissReviewError: store.dismissReviewError,
    })),
  );
  const [grouping, setGrouping] = useState<FindingGrouping>('severity');
  const [exportNote, setExportNote] = useState<string | null>(null);
  const { overview } = state;
  if (!overview) return null;

  const runExport = async (format: ExportFormat): Promise<void> => {
    const result = await actions.exportReport(format);
    if (!result) return;
    if (result.savedTo) setExportNote(`Saved to ${result.savedTo}`);
    else if (result.content !== undefined) {
      download(result);
      setExportNote(`Downloaded ${result.fileName}`);
    }
  };

  return (
    <div className="review">
      <header className="review-header">
        <div className="review-heading">
          <h2 className="review-title">{overview.title}</h2>
          <IntegrityBadge integrity={overview.integrity} />
          <SignatureBadge signature={overview.integrity.signature} />
        </div>
        <div className="review-header-actions">
          <span className="muted mono review-path" title={overview.path}>
            {overview.path}
          </span>
          {(['html', 'json', 'csv'] as const).map((format) => (
            <button key={format} type="button" className="button button-small" data-testid={`export-${format}`} onClick={() => void runExport(format)}>
              Export {format.toUpperCase()}
            </button>
          ))}
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
      {(overview.integrity.warnings ?? []).length > 0 ? (
        <ul className="integrity-problems" aria-label="Integrity warnings" data-testid="integrity-warnings">
          {(overview.integrity.warnings ?? []).map((warning, index) => (
            <li key={index}>
              <ErrorBanner error={warning} />
            </li>
          ))}
        </ul>
      ) : null}
      {state.captureError ? <ErrorBanner error={state.captureError} onDismiss={actions.dismissCaptureError} /> : null}
      {state.reviewError ? <ErrorBanner error={state.reviewError} onDismiss={actions.dismissReviewError} /> : null}
      {exportNote ? (
        <p className="notice" role="status" data-testid="export-note">
          {exportNote}
        </p>
      ) : null}
      <nav className="review-tabs" role="tablist" aria-label="Review">
        {reviewTabs.map((tab) => (
          <button
            key={tab}
            type="button"
            role="tab"
            aria-selected={state.tab === tab}
            className={state.tab === tab ? 'review-tab review-tab-current' : 'review-tab'}
            data-testid={`tab-${tab}`}
            onClick={() => actions.showTab(tab)}
          >
            {tabLabels[tab]}
            {tab === 'findings' ? ` (${state.findings.length})` : ''}
          </button>
        ))}
      </nav>
      {state.tab === 'processes' ? <ProcessesTab /> : null}
      {state.tab === 'findings' ? (
        <section className="panel" aria-label="Findings">
          <div className="toolbar">
            <label>
              Group by{' '}
              <select className="input input-small" data-testid="findings-grouping" value={grouping} onChange={(event) => setGrouping(event.target.value as FindingGrouping)}>
                <option value="severity">severity</option>
                <option value="rule">rule</option>
                <option value="process">process</option>
              </select>
            </label>
            {state.triage ? (
              <span className="muted">
                Triage kept {state.triage.location === 'beside-capture' ? 'beside the capture' : 'in the app data folder'}: <span className="mono">{state.triage.path}</span>
              </span>
            ) : null}
          </div>
          <FindingsList
            findings={state.findings}
            triage={state.triage?.entries ?? []}
            selectedPid={null}
            grouping={grouping}
            onSelect={(finding) => void actions.selectFinding(finding)}
            onTriage={(findingId, triageState, note) => void actions.setTriage(findingId, triageState, note)}
          />
        </section>
      ) : null}
      {state.tab === 'sockets' ? <SocketsView sockets={state.sockets} onSelectProcess={(pid) => void selectAndShow(actions, pid)} /> : null}
      {state.tab === 'timeline' ? (
        state.facts ? (
          <TimelineChart facts={state.facts} commands={overview.provenance.commands} captureStart={overview.provenance.startedAt} captureEnd={overview.provenance.endedAt} />
        ) : (
          <p className="muted">Loading…</p>
        )
      ) : null}
      {state.tab === 'provenance' ? <ProvenanceView overview={overview} /> : null}
      {state.tab === 'artifacts' ? <ArtifactsView artifacts={overview.provenance.artifacts} view={state.artifact} onOpen={(path, offset) => void actions.openArtifact(path, offset)} /> : null}
      {state.tab === 'system' ? <SystemView system={state.system} /> : null}
      {state.tab === 'compare' ? (
        <CompareView diff={state.comparison?.diff ?? null} comparing={state.comparing} onCompare={(path) => void actions.compareWith(path)} onClear={() => void actions.clearComparison()} />
      ) : null}
    </div>
  );
}

function selectAndShow(actions: { showTab: (tab: ReviewTab) => void; selectProcess: (pid: number) => Promise<void> }, pid: number): Promise<void> {
  actions.showTab('processes');
  return actions.selectProcess(pid);
}

function ProcessesTab() {
  const state = useWorkbench(
    useShallow((store) => ({
      view: store.processView,
      window: store.processWindow,
      cursorIndex: store.cursorIndex,
      detail: store.detail,
      findings: store.findings,
      triage: store.triage,
      facts: store.facts,
      selectedPid: store.selectedPid,
      selectedRecord: store.selectedRecord,
      widths: store.columnWidths,
      revealSecrets: store.revealSecrets,
    })),
  );
  const actions = useWorkbench(
    useShallow((store) => ({
      loadRange: store.loadProcessRange,
      setSearch: store.setSearch,
      setRegex: store.setRegex,
      setFilters: store.setFilters,
      sortBy: store.sortBy,
      setTreeMode: store.setTreeMode,
      toggle: store.toggleBranch,
      selectRow: store.selectRow,
      selectProcess: store.selectProcess,
      selectFinding: store.selectFinding,
      move: store.moveCursor,
      reveal: store.setRevealSecrets,
      resize: store.resizeColumn,
      setTriage: store.setTriage,
      openArtifact: store.openArtifact,
      showTab: store.showReviewTab,
    })),
  );
  const severityCounts = useMemo(() => countBySeverity(state.findings), [state.findings]);
  const { view, window } = state;
  const count =
    window === null ? 'Loading processes…' : window.matching === window.processCount ? `${window.processCount} processes` : `${window.matching} of ${window.processCount} processes`;

  return (
    <div className="review-body">
      <section className="review-processes" aria-label="Process tree">
        <div className="toolbar">
          <input
            type="search"
            className="input"
            placeholder={view.regex ? 'Regular expression over name, argv, pid, user' : 'Search name, argv, pid or user'}
            aria-label="Search processes"
            aria-invalid={window?.searchError ? true : undefined}
            data-testid="process-search"
            value={view.search}
            maxLength={256}
            spellCheck={false}
            onChange={(event) => actions.setSearch(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Escape' && view.search !== '') {
                event.preventDefault();
                actions.setSearch('');
              }
            }}
          />
          <label className="checkbox">
            <input type="checkbox" data-testid="search-regex" checked={view.regex} onChange={(event) => actions.setRegex(event.target.checked)} />
            Regex
          </label>
          <label className="checkbox">
            <input
              type="checkbox"
              data-testid="flagged-only"
              checked={view.filters.flaggedOnly === true}
              onChange={(event) => actions.setFilters({ ...view.filters, flaggedOnly: event.target.checked || undefined })}
            />
            Flagged only
          </label>
          <label className="checkbox">
            <input
              type="checkbox"
              data-testid="listening-only"
              checked={view.filters.listeningOnly === true}
              onChange={(event) => actions.setFilters({ ...view.filters, listeningOnly: event.target.checked || undefined })}
            />
            Listening
          </label>
          <select
            className="input input-small"
            aria-label="Filter by user"
            data-testid="user-filter"
            value={view.filters.user ?? ''}
            onChange={(event) => {
              const { user: _previous, ...rest } = view.filters;
              void _previous;
              actions.setFilters(event.target.value === '' ? rest : { ...rest, user: event.target.value });
            }}
          >
            <option value="">All users</option>
            {(state.facts?.users ?? []).map((user) => (
              <option key={user} value={user}>
                {user}
              </option>
            ))}
          </select>
          {state.facts?.hasCgroups ? (
            <input
              type="search"
              className="input input-small"
              placeholder="cgroup contains"
              aria-label="Filter by cgroup"
              data-testid="cgroup-filter"
              maxLength={1024}
              value={view.filters.cgroup ?? ''}
              onChange={(event) => {
                const { cgroup: _previous, ...rest } = view.filters;
                void _previous;
                actions.setFilters(event.target.value === '' ? rest : { ...rest, cgroup: event.target.value });
              }}
            />
          ) : null}
          <button
            type="button"
            className="button button-small"
            data-testid="view-mode"
            aria-pressed={view.mode === 'flat'}
            onClick={() => actions.setTreeMode(view.mode === 'tree' ? 'flat' : 'tree')}
          >
            {view.mode === 'tree' ? 'Flat list' : 'Tree'}
          </button>
          <button
            type="button"
            className="button button-small"
            data-testid="copy-rows"
            title="Copy the loaded rows as tab-separated text"
            onClick={() => void navigator.clipboard?.writeText(rowsAsText(window?.rows ?? []))}
          >
            Copy
          </button>
          <span className="toolbar-count muted" role="status" data-testid="process-count">
            {count}
          </span>
        </div>
        {window?.searchError ? (
          <p className="inline-error" role="alert" data-testid="search-error">
            {window.searchError}
          </p>
        ) : null}
        <ProcessTable
          window={window}
          cursorIndex={state.cursorIndex}
          sort={view.sort}
          widths={state.widths}
          onRange={actions.loadRange}
          onSelectRow={(index) => void actions.selectRow(index)}
          onToggle={actions.toggle}
          onKey={(key) => void actions.move(key)}
          onClear={() => void actions.selectProcess(null)}
          onSort={actions.sortBy}
          onResize={actions.resize}
        />
      </section>
      <aside className="review-side">
        {state.detail && isSelectedDetail(state.detail, state.selectedPid, state.selectedRecord) ? (
          <ProcessDetail
            detail={state.detail}
            revealSecrets={state.revealSecrets}
            onClose={() => void actions.selectProcess(null)}
            onSelectProcess={(pid) => void actions.selectProcess(pid)}
            onRevealSecrets={(reveal) => void actions.reveal(reveal)}
            onOpenArtifact={(path) => {
              actions.showTab('artifacts');
              void actions.openArtifact(path);
            }}
          />
        ) : (
          <section className="panel panel-hint">
            <p className="muted">Select a process to see every field, its environment and its sockets.</p>
          </section>
        )}
        <section className="panel findings-panel" aria-labelledby="findings-heading">
          <header className="panel-header">
            <h3 id="findings-heading" className="panel-title">
              Findings <span className="muted">({state.findings.length})</span>
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
          <FindingsList findings={state.findings} triage={state.triage?.entries ?? []} selectedPid={state.selectedPid} onSelect={(finding) => void actions.selectFinding(finding)} />
        </section>
      </aside>
    </div>
  );
}
