import type {
  ArtifactView,
  CaptureDiff,
  CaptureFacts,
  CaptureOverview,
  ExperimentReport,
  ExportFormat,
  ExportResult,
  Finding,
  ProcessDetailRecord,
  ProcessFilters,
  ProcessSortKey,
  ProcessWindow,
  SocketRecord,
  SystemFacts,
  TriageRecord,
  TriageState,
  WorkbenchApi,
  WorkbenchError,
} from '../../../preload/api';
import type { FindingGrouping } from './logic/findings-order';
import { type ProcessFilterInput, withProcessFilter } from './logic/process-filters';
import {
  WINDOW_ROWS,
  defaultProcessView,
  expandAll,
  isNarrowed,
  nextSort,
  rowAt,
  toggleCollapsed,
  treeMove,
  windowCovers,
  windowOffsetFor,
  type ProcessView,
  type TreeKey,
} from './logic/process-view';
import type { SliceCreator } from './types';

/** The tabs of the Review view. */
export const reviewTabs = ['experiment', 'processes', 'findings', 'sockets', 'timeline', 'provenance', 'artifacts', 'system', 'compare'] as const;

/** The tabs shown for a capture: Experiment only when it holds one (then first and selected). */
export function visibleReviewTabs(hasExperiment: boolean): readonly ReviewTab[] {
  return hasExperiment ? reviewTabs : reviewTabs.filter((tab) => tab !== 'experiment');
}

/** One tab of the Review view. */
export type ReviewTab = (typeof reviewTabs)[number];

/** Column widths of the process table, in pixels, by column id. */
export type ColumnWidths = Readonly<Record<string, number>>;

/** The review of the open capture: process windows from main, detail, findings triage, and the rest. */
export interface ReviewSlice {
  readonly reviewTab: ReviewTab;
  readonly processView: ProcessView;
  readonly processWindow: ProcessWindow | null;
  /** Index of the selected row in the current result, `null` when nothing is selected or it is hidden. */
  readonly cursorIndex: number | null;
  readonly selectedPid: number | null;
  /**
   * The selected process's record (its place in the capture): what identifies it, since pids can
   * repeat. `null` until known when a process is selected by pid (from a finding or an ancestor).
   */
  readonly selectedRecord: number | null;
  readonly detail: ProcessDetailRecord | null;
  readonly revealSecrets: boolean;
  readonly facts: CaptureFacts | null;
  readonly sockets: readonly SocketRecord[] | null;
  /** The System tab's facts once loaded (`facts` null when the capture has no system document). */
  readonly system: { readonly facts: SystemFacts | null } | null;
  /** The experiment the open capture holds (tuning or agents), null for a plain capture. */
  readonly experiment: ExperimentReport | null;
  readonly triage: TriageRecord | null;
  readonly comparison: { readonly overview: CaptureOverview; readonly diff: CaptureDiff } | null;
  readonly comparing: boolean;
  readonly artifact: ArtifactView | null;
  readonly reviewError: WorkbenchError | null;
  readonly columnWidths: ColumnWidths;
  /** How the Findings tab groups findings; kept while the capture stays open. */
  readonly findingGrouping: FindingGrouping;

  startReview(): Promise<void>;
  resetReview(): void;
  showReviewTab(tab: ReviewTab): void;
  loadProcessRange(start: number, end: number): Promise<void>;
  setSearch(search: string): void;
  setRegex(regex: boolean): void;
  setFilters(filters: ProcessFilters): void;
  /** Sets one filter, or clears it when the control is empty ('' or unticked). */
  setFilter<K extends keyof ProcessFilters>(key: K, value: ProcessFilterInput<K>): void;
  setFindingGrouping(grouping: FindingGrouping): void;
  sortBy(key: ProcessSortKey): void;
  setTreeMode(mode: 'tree' | 'flat'): void;
  toggleBranch(pid: number): void;
  selectProcess(pid: number | null): Promise<void>;
  selectRow(index: number): Promise<void>;
  selectFinding(finding: Finding): Promise<void>;
  moveCursor(key: TreeKey): Promise<void>;
  setRevealSecrets(reveal: boolean): Promise<void>;
  setTriage(findingId: string, state: TriageState, note: string): Promise<void>;
  loadSockets(): Promise<void>;
  loadSystemFacts(): Promise<void>;
  compareWith(path: string): Promise<void>;
  clearComparison(): Promise<void>;
  exportReport(format: ExportFormat): Promise<ExportResult | null>;
  openArtifact(path: string, offset?: number): Promise<void>;
  resizeColumn(column: string, width: number): void;
  dismissReviewError(): void;
}

const initialReview = {
  reviewTab: 'processes' as ReviewTab,
  processView: defaultProcessView,
  processWindow: null,
  cursorIndex: null,
  selectedPid: null,
  selectedRecord: null,
  detail: null,
  revealSecrets: false,
  facts: null,
  sockets: null,
  system: null,
  experiment: null,
  triage: null,
  comparison: null,
  comparing: false,
  artifact: null,
  reviewError: null,
  findingGrouping: 'severity' as FindingGrouping,
} satisfies Partial<ReviewSlice>;

/** Creates the review slice over the contract. */
export function createReviewSlice(api: WorkbenchApi): SliceCreator<ReviewSlice> {
  return (set, get) => {
    // Each change of the view (search, filters, sort, collapse) gets a number; windows asked for an
    // older view are dropped, so typing fast cannot let a slow answer replace a newer one. Windows of
    // the same view may arrive in any order: each is valid, and the table asks again if one does not
    // cover what is visible.
    let viewSequence = 0;
    let detailSequence = 0;

    const handle = (): string | null => get().overview?.handle ?? null;
    const fail = (error: WorkbenchError): void => set({ reviewError: error });

    /** Asks main for a window of the current view; `locate` reports where the selected pid sits. */
    const query = async (offset: number, view: ProcessView = get().processView): Promise<ProcessWindow | null> => {
      const current = handle();
      if (current === null) return null;
      const sequence = viewSequence;
      const { selectedPid, selectedRecord } = get();
      const result = await api.queryProcesses({
        handle: current,
        ...view,
        offset,
        limit: WINDOW_ROWS,
        ...(selectedRecord !== null ? { locateRecord: selectedRecord } : selectedPid === null ? {} : { locatePid: selectedPid }),
      });
      if (sequence !== viewSequence || handle() !== current) return null;
      if (!result.ok) {
        fail(result.error);
        return null;
      }
      // Where the selection sits is only known for the pid this window was asked about.
      if (get().selectedPid === selectedPid && get().selectedRecord === selectedRecord) set({ processWindow: result.value, cursorIndex: result.value.locatedIndex });
      else set({ processWindow: result.value });
      return result.value;
    };

    const setView = (view: ProcessView): void => {
      viewSequence++;
      set({ processView: view });
    };

    /** Applies a new view and asks for its first window (from the top when the rows change). */
    const applyView = (view: ProcessView, keepOffset: boolean): void => {
      setView(view);
      void query(keepOffset ? (get().processWindow?.offset ?? 0) : 0, view);
    };

    /** Loads the detail of the selected process: by its record when known, else the first with its pid. */
    const loadDetail = async (pid: number, reveal: boolean, record: number | null = get().selectedRecord): Promise<ProcessDetailRecord | null> => {
      const current = handle();
      if (current === null) return null;
      const sequence = ++detailSequence;
      const result = await api.getProcessDetail({ handle: current, pid, ...(record === null ? {} : { record }), revealSecrets: reveal });
      if (sequence !== detailSequence) return null;
      if (!result.ok) {
        fail(result.error);
        return null;
      }
      set({ detail: result.value });
      return result.value;
    };

    return {
      ...initialReview,
      columnWidths: {},

      async startReview() {
        const current = handle();
        if (current === null) return;
        viewSequence++;
        set({ ...initialReview });
        const [, facts, triage, experiment] = await Promise.all([
          query(0, defaultProcessView),
          api.getCaptureFacts({ handle: current }),
          api.getTriage({ handle: current }),
          api.getExperiment({ handle: current }),
        ]);
        if (handle() !== current) return;
        const report = experiment.ok ? experiment.value : null;
        set((state) => ({
          ...(facts.ok ? { facts: facts.value } : {}),
          ...(triage.ok ? { triage: triage.value } : {}),
          experiment: report,
          // An experiment's capture opens on its report, unless the user already picked a tab.
          ...(report !== null && state.reviewTab === 'processes' ? { reviewTab: 'experiment' as const } : {}),
        }));
        const launchError = !facts.ok ? facts.error : !triage.ok ? triage.error : !experiment.ok ? experiment.error : null;
        if (launchError) fail(launchError);
      },

      resetReview() {
        viewSequence++;
        detailSequence++;
        set({ ...initialReview });
      },

      showReviewTab(tab) {
        set({ reviewTab: tab });
        if (tab === 'sockets' && get().sockets === null) void get().loadSockets();
        if (tab === 'system' && get().system === null) void get().loadSystemFacts();
      },

      async loadProcessRange(start, end) {
        if (windowCovers(get().processWindow, start, end)) return;
        await query(windowOffsetFor(start));
      },

      setSearch(search) {
        applyView({ ...get().processView, search }, false);
      },

      setRegex(regex) {
        applyView({ ...get().processView, regex }, false);
      },

      setFilters(filters) {
        applyView({ ...get().processView, filters }, false);
      },

      setFindingGrouping(grouping) {
        set({ findingGrouping: grouping });
      },

      setFilter(key, value) {
        const view = get().processView;
        applyView({ ...view, filters: withProcessFilter(view.filters, key, value) }, false);
      },

      sortBy(key) {
        applyView(nextSort(get().processView, key), false);
      },

      setTreeMode(mode) {
        applyView({ ...get().processView, mode }, false);
      },

      toggleBranch(pid) {
        applyView(toggleCollapsed(get().processView, pid), true);
      },

      async selectProcess(pid) {
        if (pid === null) {
          detailSequence++;
          set({ selectedPid: null, selectedRecord: null, cursorIndex: null, detail: null });
          return;
        }
        set({ selectedPid: pid, selectedRecord: null });
        const detail = await loadDetail(pid, get().revealSecrets, null);
        if (!detail) return;
        set({ selectedRecord: detail.process.record });
        // Make the process visible: open its ancestors; if the search or filters hide it, drop them.
        let view = expandAll(get().processView, detail.ancestors);
        if (view !== get().processView) setView(view);
        let located = await query(windowOffsetFor(get().cursorIndex ?? 0), view);
        if (located && located.locatedIndex === null && isNarrowed(view)) {
          view = { ...view, search: '', filters: {} };
          setView(view);
          located = await query(0, view);
        }
        if (located?.locatedIndex !== null && located?.locatedIndex !== undefined && !windowCovers(located, located.locatedIndex, located.locatedIndex)) {
          await query(windowOffsetFor(located.locatedIndex), view);
        }
      },

      async selectRow(index) {
        const row = rowAt(get().processWindow, index);
        if (!row) return;
        set({ selectedPid: row.process.pid, selectedRecord: row.process.record, cursorIndex: index });
        await loadDetail(row.process.pid, get().revealSecrets, row.process.record);
      },

      async selectFinding(finding) {
        const pid = finding.pids[0];
        if (pid === undefined) return;
        set({ reviewTab: 'processes' });
        await get().selectProcess(pid);
      },

      async moveCursor(key) {
        // A window for other rows (the ones on screen before a jump) may have become current after
        // the cursor moved: read the cursor's own row, or Left and Right would be dropped.
        const cursor = get().cursorIndex;
        let around = get().processWindow;
        if (cursor !== null && !windowCovers(around, cursor, cursor)) around = (await query(windowOffsetFor(cursor))) ?? around;
        const move = treeMove(around, cursor, key);
        if (move.kind === 'toggle') get().toggleBranch(move.pid);
        if (move.kind !== 'move') return;
        // Use the window fetched for the target row: another window (for the rows on screen) may
        // arrive meanwhile and become the current one.
        let window = get().processWindow;
        if (!windowCovers(window, move.index, move.index)) window = await query(windowOffsetFor(move.index));
        const row = rowAt(window, move.index);
        if (!row) return;
        set({ selectedPid: row.process.pid, selectedRecord: row.process.record, cursorIndex: move.index });
        await loadDetail(row.process.pid, get().revealSecrets, row.process.record);
      },

      async setRevealSecrets(reveal) {
        set({ revealSecrets: reveal });
        const pid = get().selectedPid;
        if (pid !== null) await loadDetail(pid, reveal);
      },

      async setTriage(findingId, state, note) {
        const current = handle();
        if (current === null) return;
        const result = await api.setTriage({ handle: current, findingId, state, note });
        if (result.ok) set({ triage: result.value });
        else fail(result.error);
      },

      async loadSockets() {
        const current = handle();
        if (current === null) return;
        const result = await api.getSockets({ handle: current });
        if (result.ok) set({ sockets: result.value });
        else fail(result.error);
      },

      async loadSystemFacts() {
        const current = handle();
        if (current === null) return;
        const result = await api.getSystemFacts({ handle: current });
        if (handle() !== current) return;
        if (result.ok) set({ system: { facts: result.value } });
        else fail(result.error);
      },

      async compareWith(path) {
        const current = handle();
        if (current === null) return;
        set({ comparing: true, reviewError: null });
        const previous = get().comparison;
        const opened = await api.openCapture({ path });
        if (!opened.ok) {
          set({ comparing: false });
          fail(opened.error);
          return;
        }
        const diff = await api.compareCaptures({ before: current, after: opened.value.handle });
        if (previous) void api.closeCapture({ handle: previous.overview.handle });
        if (!diff.ok) {
          void api.closeCapture({ handle: opened.value.handle });
          set({ comparing: false, comparison: null });
          fail(diff.error);
          return;
        }
        set({ comparing: false, comparison: { overview: opened.value, diff: diff.value } });
      },

      async clearComparison() {
        const previous = get().comparison;
        set({ comparison: null });
        if (previous) await api.closeCapture({ handle: previous.overview.handle });
      },

      async exportReport(format) {
        const current = handle();
        if (current === null) return null;
        const result = await api.exportReport({ handle: current, format });
        if (!result.ok) {
          fail(result.error);
          return null;
        }
        return result.value;
      },

      async openArtifact(path, offset = 0) {
        const current = handle();
        if (current === null) return;
        const result = await api.readArtifact({ handle: current, path, offset });
        if (result.ok) set({ artifact: result.value });
        else {
          set({ artifact: null });
          fail(result.error);
        }
      },

      resizeColumn(column, width) {
        set((state) => ({ columnWidths: { ...state.columnWidths, [column]: Math.max(32, Math.min(1200, Math.round(width))) } }));
      },

      dismissReviewError() {
        set({ reviewError: null });
      },
    };
  };
}
