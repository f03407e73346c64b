import { useShallow } from 'zustand/react/shallow';
import { isSelectedDetail } from '../../store/logic/process-selection';
import { rowsAsText } from '../../store/logic/process-view';
import { useWorkbench } from '../../store/store-context';
import { ProcessesTab } from './processes-tab';

/** Connects the Processes tab to the store: the view, its window, the selection and the findings. */
export function ProcessesTabContainer() {
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
      setFilter: store.setFilter,
      sortBy: store.sortBy,
      setTreeMode: store.setTreeMode,
      toggle: store.toggleBranch,
      selectRow: store.selectRow,
      selectProcess: store.selectProcess,
      selectFinding: store.selectFinding,
      move: store.moveCursor,
      reveal: store.setRevealSecrets,
      resize: store.resizeColumn,
      openArtifact: store.openArtifact,
      showTab: store.showReviewTab,
    })),
  );
  const { window } = state;
  const selectedDetail = state.detail && isSelectedDetail(state.detail, state.selectedPid, state.selectedRecord) ? state.detail : null;

  return (
    <ProcessesTab
      toolbar={{
        view: state.view,
        window,
        facts: state.facts,
        onSearch: actions.setSearch,
        onRegex: actions.setRegex,
        onFilter: actions.setFilter,
        onTreeMode: actions.setTreeMode,
        onCopyRows: () => void navigator.clipboard?.writeText(rowsAsText(window?.rows ?? [])),
      }}
      table={{
        window,
        cursorIndex: state.cursorIndex,
        sort: state.view.sort,
        widths: state.widths,
        onRange: actions.loadRange,
        onSelectRow: (index) => void actions.selectRow(index),
        onToggle: actions.toggle,
        onKey: (key) => void actions.move(key),
        onClear: () => void actions.selectProcess(null),
        onSort: actions.sortBy,
        onResize: actions.resize,
      }}
      detail={{
        detail: selectedDetail,
        revealSecrets: state.revealSecrets,
        onClose: () => void actions.selectProcess(null),
        onSelectProcess: (pid) => void actions.selectProcess(pid),
        onRevealSecrets: (reveal) => void actions.reveal(reveal),
        onOpenArtifact: (path) => {
          actions.showTab('artifacts');
          void actions.openArtifact(path);
        },
      }}
      findings={state.findings}
      triage={state.triage?.entries ?? []}
      selectedPid={state.selectedPid}
      onSelectFinding={(finding) => void actions.selectFinding(finding)}
    />
  );
}
