import { useShallow } from 'zustand/react/shallow';
import { ExperimentReportView } from '../../components/experiment-report-view';
import { useWorkbench } from '../../store/store-context';
import { ArtifactsView } from './artifacts-view';
import { CompareView } from './compare-view';
import { FindingsTab } from './findings-tab';
import { ProvenanceView } from './provenance-view';
import { SocketsView } from './sockets-view';
import { SystemView } from './system-view';
import { TimelineChart } from './timeline-chart';

// One container per Review tab besides Processes (its own file): each reads the store for its tab and
// hands props to a view. Every tab is shown only while a capture is open.

/** Connects the Experiment tab: the report of the experiment the capture holds. */
export function ExperimentTabContainer() {
  const experiment = useWorkbench((store) => store.experiment);
  return experiment ? <ExperimentReportView report={experiment} /> : <p className="muted">This capture holds no experiment.</p>;
}

/** Connects the Findings tab: findings, triage and how they are grouped. */
export function FindingsTabContainer() {
  const { findings, triage, grouping } = useWorkbench(useShallow((store) => ({ findings: store.findings, triage: store.triage, grouping: store.findingGrouping })));
  const actions = useWorkbench(useShallow((store) => ({ selectFinding: store.selectFinding, setTriage: store.setTriage, setGrouping: store.setFindingGrouping })));
  return (
    <FindingsTab
      findings={findings}
      triage={triage}
      grouping={grouping}
      onGrouping={actions.setGrouping}
      onSelect={(finding) => void actions.selectFinding(finding)}
      onTriage={(findingId, triageState, note) => void actions.setTriage(findingId, triageState, note)}
    />
  );
}

/** Connects the Sockets tab; picking a socket's process shows it in the Processes tab. */
export function SocketsTabContainer() {
  const sockets = useWorkbench((store) => store.sockets);
  const actions = useWorkbench(useShallow((store) => ({ showTab: store.showReviewTab, selectProcess: store.selectProcess })));
  return (
    <SocketsView
      sockets={sockets}
      onSelectProcess={(pid) => {
        actions.showTab('processes');
        void actions.selectProcess(pid);
      }}
    />
  );
}

/** Connects the Timeline tab: the capture's facts and the commands it ran. */
export function TimelineTabContainer() {
  const { facts, overview } = useWorkbench(useShallow((store) => ({ facts: store.facts, overview: store.overview })));
  if (!overview) return null;
  if (!facts) return <p className="muted">Loading…</p>;
  return <TimelineChart facts={facts} commands={overview.provenance.commands} captureStart={overview.provenance.startedAt} captureEnd={overview.provenance.endedAt} />;
}

/** Connects the Provenance tab. */
export function ProvenanceTabContainer() {
  const overview = useWorkbench((store) => store.overview);
  return overview ? <ProvenanceView overview={overview} /> : null;
}

/** Connects the Artifacts tab: the capture's artifacts and the one open. */
export function ArtifactsTabContainer() {
  const { overview, artifact } = useWorkbench(useShallow((store) => ({ overview: store.overview, artifact: store.artifact })));
  const openArtifact = useWorkbench((store) => store.openArtifact);
  if (!overview) return null;
  return <ArtifactsView artifacts={overview.provenance.artifacts} view={artifact} onOpen={(path, offset) => void openArtifact(path, offset)} />;
}

/** Connects the System tab. */
export function SystemTabContainer() {
  const system = useWorkbench((store) => store.system);
  return <SystemView system={system} />;
}

/** Connects the Compare tab: the comparison with another capture, if any. */
export function CompareTabContainer() {
  const { comparison, comparing } = useWorkbench(useShallow((store) => ({ comparison: store.comparison, comparing: store.comparing })));
  const actions = useWorkbench(useShallow((store) => ({ compareWith: store.compareWith, clearComparison: store.clearComparison })));
  return <CompareView diff={comparison?.diff ?? null} comparing={comparing} onCompare={(path) => void actions.compareWith(path)} onClear={() => void actions.clearComparison()} />;
}
