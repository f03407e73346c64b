import type {
  CaptureOverview,
  Finding,
  ProcessRow,
  RecentCapture,
  WorkbenchApi,
  WorkbenchError,
} from '../../../preload/api';
import { sortFindings } from './logic/findings-order';
import { navigateProcessTree, revealProcess, toggleCollapsed, type TreeKey } from './logic/navigate-process-tree';
import { buildProcessTree, emptyProcessTree, type ProcessTree } from './logic/process-tree';
import { isFiltering, matchesProcessQuery, visibleProcessRows } from './logic/visible-process-rows';
import type { SliceCreator, WorkbenchState } from './types';

/** Where opening a capture stands. */
export type CaptureStatus = 'idle' | 'opening' | 'open';

/** Captures: the recent list and the one opened for review. */
export interface CapturesSlice {
  readonly recent: readonly RecentCapture[];
  readonly captureStatus: CaptureStatus;
  readonly captureError: WorkbenchError | null;
  /** Set when there is no native file dialog: the welcome shows a path field instead. */
  readonly pathEntryVisible: boolean;
  readonly overview: CaptureOverview | null;
  readonly processes: readonly ProcessRow[];
  readonly processTree: ProcessTree;
  /** Worst first. */
  readonly findings: readonly Finding[];
  readonly selectedPid: number | null;
  readonly collapsed: ReadonlySet<number>;
  readonly processQuery: string;
  readonly flaggedOnly: boolean;

  loadRecentCaptures(): Promise<void>;
  openCapture(path: string): Promise<boolean>;
  openSampleCapture(): Promise<boolean>;
  pickAndOpenCapture(): Promise<boolean>;
  openDroppedFile(file: File): Promise<boolean>;
  closeCapture(): Promise<void>;
  hidePathEntry(): void;
  dismissCaptureError(): void;
  selectProcess(pid: number | null): void;
  selectFinding(finding: Finding): void;
  setProcessQuery(query: string): void;
  setFlaggedOnly(flaggedOnly: boolean): void;
  toggleBranch(pid: number): void;
  moveTreeCursor(key: TreeKey): void;
}

const closedCapture = {
  overview: null,
  processes: [],
  processTree: emptyProcessTree,
  findings: [],
  selectedPid: null,
  collapsed: new Set<number>(),
  processQuery: '',
  flaggedOnly: false,
} satisfies Partial<CapturesSlice>;

/** Creates the captures slice over the contract. */
export function createCapturesSlice(api: WorkbenchApi): SliceCreator<CapturesSlice> {
  return (set, get) => {
    // Each open gets a number; answers for an older open are dropped so a slow capture cannot
    // replace the one the user opened after it.
    let openSequence = 0;

    const fail = (error: WorkbenchError): false => {
      set((state) => ({ captureError: error, captureStatus: state.overview ? 'open' : 'idle' }));
      return false;
    };

    return {
      recent: [],
      captureStatus: 'idle',
      captureError: null,
      pathEntryVisible: false,
      ...closedCapture,

      async loadRecentCaptures() {
        const result = await api.listRecentCaptures();
        if (result.ok) set({ recent: result.value });
      },

      async openCapture(path) {
        const sequence = ++openSequence;
        set({ captureStatus: 'opening', captureError: null });
        const opened = await api.openCapture({ path });
        if (!opened.ok) return sequence === openSequence ? fail(opened.error) : false;
        const handle = opened.value.handle;
        if (sequence !== openSequence) {
          void api.closeCapture({ handle });
          return false;
        }
        const [processes, findings] = await Promise.all([api.getProcesses({ handle }), api.getFindings({ handle })]);
        if (sequence !== openSequence) {
          void api.closeCapture({ handle });
          return false;
        }
        if (!processes.ok) return fail(processes.error);
        if (!findings.ok) return fail(findings.error);
        const previous = get().overview;
        if (previous && previous.handle !== handle) void api.closeCapture({ handle: previous.handle });
        set({
          ...closedCapture,
          overview: opened.value,
          processes: processes.value,
          processTree: buildProcessTree(processes.value),
          findings: sortFindings(findings.value),
          captureStatus: 'open',
          pathEntryVisible: false,
          view: 'review',
        });
        void get().loadRecentCaptures();
        return true;
      },

      async openSampleCapture() {
        const path = await api.getSampleCapturePath();
        return path.ok ? get().openCapture(path.value) : fail(path.error);
      },

      async pickAndOpenCapture() {
        const picked = await api.pickCapturePath();
        if (!picked.ok) {
          if (picked.error.code === 'NOT_SUPPORTED') {
            set({ pathEntryVisible: true });
            return false;
          }
          return fail(picked.error);
        }
        return picked.value === null ? false : get().openCapture(picked.value);
      },

      async openDroppedFile(file) {
        set({ captureStatus: 'opening', captureError: null });
        const path = await api.pathForDroppedFile(file);
        return path.ok ? get().openCapture(path.value) : fail(path.error);
      },

      async closeCapture() {
        const overview = get().overview;
        openSequence++;
        set({ ...closedCapture, captureStatus: 'idle' });
        if (overview) await api.closeCapture({ handle: overview.handle });
      },

      hidePathEntry() {
        set({ pathEntryVisible: false });
      },

      dismissCaptureError() {
        set({ captureError: null });
      },

      selectProcess(pid) {
        set((state) => selectAndReveal(state, pid));
      },

      selectFinding(finding) {
        const pid = finding.pids.find((candidate) => get().processTree.byPid.has(candidate));
        if (pid !== undefined) set((state) => selectAndReveal(state, pid));
      },

      setProcessQuery(processQuery) {
        set({ processQuery });
      },

      setFlaggedOnly(flaggedOnly) {
        set({ flaggedOnly });
      },

      toggleBranch(pid) {
        set((state) => ({ collapsed: toggleCollapsed(state.collapsed, pid) }));
      },

      moveTreeCursor(key) {
        set((state) => {
          const filter = { query: state.processQuery, flaggedOnly: state.flaggedOnly, collapsed: state.collapsed };
          const rows = visibleProcessRows(state.processTree, filter);
          const cursor = { selectedPid: state.selectedPid, collapsed: state.collapsed };
          return navigateProcessTree(rows, state.processTree, cursor, key, isFiltering(filter));
        });
      },
    };
  };
}

/**
 * Selects a process and makes sure it shows: opens its collapsed ancestors and drops filters that
 * would hide it (a finding's process must be visible once clicked).
 */
export function selectAndReveal(
  state: Pick<WorkbenchState, 'processTree' | 'collapsed' | 'processQuery' | 'flaggedOnly'>,
  pid: number | null,
): Pick<WorkbenchState, 'selectedPid' | 'collapsed' | 'processQuery' | 'flaggedOnly'> {
  const row = pid === null ? undefined : state.processTree.byPid.get(pid);
  if (pid === null || !row) {
    return { selectedPid: null, collapsed: state.collapsed, processQuery: state.processQuery, flaggedOnly: state.flaggedOnly };
  }
  return {
    selectedPid: pid,
    collapsed: revealProcess(state.processTree, state.collapsed, pid),
    processQuery: matchesProcessQuery(row, state.processQuery) ? state.processQuery : '',
    flaggedOnly: state.flaggedOnly && row.flags.length > 0,
  };
}
