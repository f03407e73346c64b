import type { CaptureOverview, ExportFormat, WorkbenchError } from '../../../../preload/api';
import { ErrorBanner } from '../../components/error-banner';
import { IntegrityBadge } from '../../components/integrity-badge';
import { SignatureBadge } from '../../components/signature-badge';
import { visibleReviewTabs, type ReviewTab } from '../../store/review-slice';
import { ProvenanceSummary } from './provenance-summary';

const tabLabels: Record<ReviewTab, string> = {
  experiment: 'Experiment',
  processes: 'Processes',
  findings: 'Findings',
  sockets: 'Sockets',
  timeline: 'Timeline',
  provenance: 'Provenance',
  artifacts: 'Artifacts',
  system: 'System',
  compare: 'Compare',
};

/** What the review header shows. */
export interface ReviewHeaderProps {
  readonly overview: CaptureOverview;
  readonly captureError: WorkbenchError | null;
  readonly reviewError: WorkbenchError | null;
  readonly exportNote: string | null;
  readonly tab: ReviewTab;
  readonly findingCount: number;
  /** Whether the capture holds an experiment: its tab then comes first. */
  readonly hasExperiment?: boolean;
  readonly onExport: (format: ExportFormat) => void;
  readonly onClose: () => void;
  readonly onShowTab: (tab: ReviewTab) => void;
  readonly onDismissCaptureError: () => void;
  readonly onDismissReviewError: () => void;
}

function IssueList({ label, issues, testId }: { readonly label: string; readonly issues: readonly WorkbenchError[]; readonly testId?: string }) {
  return (
    <ul className="integrity-problems" aria-label={label} data-testid={testId}>
      {issues.map((issue, index) => (
        <li key={index}>
          <ErrorBanner error={issue} />
        </li>
      ))}
    </ul>
  );
}

/** The opened capture's title, integrity, export and close buttons, banners and the tab bar. */
export function ReviewHeader(props: ReviewHeaderProps) {
  const { overview } = props;
  const warnings = overview.integrity.warnings ?? [];
  return (
    <>
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
            <button key={format} type="button" className="button button-small" data-testid={`export-${format}`} onClick={() => props.onExport(format)}>
              Export {format.toUpperCase()}
            </button>
          ))}
          <button type="button" className="button button-small" onClick={props.onClose}>
            Close capture
          </button>
        </div>
      </header>
      <ProvenanceSummary provenance={overview.provenance} />
      {!overview.integrity.verified ? <IssueList label="Integrity problems" issues={overview.integrity.problems} /> : null}
      {warnings.length > 0 ? <IssueList label="Integrity warnings" issues={warnings} testId="integrity-warnings" /> : null}
      {props.captureError ? <ErrorBanner error={props.captureError} onDismiss={props.onDismissCaptureError} /> : null}
      {props.reviewError ? <ErrorBanner error={props.reviewError} onDismiss={props.onDismissReviewError} /> : null}
      {props.exportNote ? (
        <p className="notice" role="status" data-testid="export-note">
          {props.exportNote}
        </p>
      ) : null}
      <nav className="review-tabs" role="tablist" aria-label="Review">
        {visibleReviewTabs(props.hasExperiment ?? false).map((tab) => (
          <button
            key={tab}
            type="button"
            role="tab"
            aria-selected={props.tab === tab}
            className={props.tab === tab ? 'review-tab review-tab-current' : 'review-tab'}
            data-testid={`tab-${tab}`}
            onClick={() => props.onShowTab(tab)}
          >
            {tabLabels[tab]}
            {tab === 'findings' ? ` (${props.findingCount})` : ''}
          </button>
        ))}
      </nav>
    </>
  );
}
