import { useState, type ComponentType } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ExportFormat, ExportResult } from '../../../../preload/api';
import type { ReviewTab } from '../../store/review-slice';
import { useWorkbench } from '../../store/store-context';
import { WelcomeContainer } from '../welcome/welcome-container';
import { ProcessesTabContainer } from './processes-tab-container';
import { ReviewHeader } from './review-header';
import {
  ArtifactsTabContainer,
  CompareTabContainer,
  ExperimentTabContainer,
  FindingsTabContainer,
  ProvenanceTabContainer,
  SocketsTabContainer,
  SystemTabContainer,
  TimelineTabContainer,
} from './review-tab-containers';

/** Each tab's container: it connects the store and renders the tab's view. */
const tabContainers: Record<ReviewTab, ComponentType> = {
  experiment: ExperimentTabContainer,
  processes: ProcessesTabContainer,
  findings: FindingsTabContainer,
  sockets: SocketsTabContainer,
  timeline: TimelineTabContainer,
  provenance: ProvenanceTabContainer,
  artifacts: ArtifactsTabContainer,
  system: SystemTabContainer,
  compare: CompareTabContainer,
};

/** Review of the opened capture, or the welcome when none is open. */
export function ReviewContainer() {
  const overview = useWorkbench((state) => state.overview);
  return overview ? <CaptureReviewContainer /> : <WelcomeContainer />;
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

/** Connects the review header (capture, errors, exports, tabs) and shows the current tab's container. */
function CaptureReviewContainer() {
  const state = useWorkbench(
    useShallow((store) => ({
      overview: store.overview,
      captureError: store.captureError,
      reviewError: store.reviewError,
      tab: store.reviewTab,
      findingCount: store.findings.length,
      hasExperiment: store.experiment !== null,
    })),
  );
  const actions = useWorkbench(
    useShallow((store) => ({
      close: store.closeCapture,
      showTab: store.showReviewTab,
      exportReport: store.exportReport,
      dismissCaptureError: store.dismissCaptureError,
      dismissReviewError: store.dismissReviewError,
    })),
  );
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
  const TabContainer = tabContainers[state.tab];

  return (
    <div className="review">
      <ReviewHeader
        overview={overview}
        captureError={state.captureError}
        reviewError={state.reviewError}
        exportNote={exportNote}
        tab={state.tab}
        findingCount={state.findingCount}
        hasExperiment={state.hasExperiment}
        onExport={(format) => void runExport(format)}
        onClose={() => void actions.close()}
        onShowTab={actions.showTab}
        onDismissCaptureError={actions.dismissCaptureError}
        onDismissReviewError={actions.dismissReviewError}
      />
      <TabContainer />
    </div>
  );
}
