import type { CaptureOverview, Finding, RecentCapture, WorkbenchApi, WorkbenchError } from '../../../preload/api';
import { sortFindings } from './logic/findings-order';
import type { SliceCreator } from './types';

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
  /** Worst first. */
  readonly findings: readonly Finding[];

  loadRecentCaptures(): Promise<void>;
  openCapture(path: string): Promise<boolean>;
  openSampleCapture(): Promise<boolean>;
  pickAndOpenCapture(): Promise<boolean>;
  openDroppedFile(file: File): Promise<boolean>;
  /** Opens the capture named on the command line, if there was one. */
  openLaunchCapture(): Promise<boolean>;
  closeCapture(): Promise<void>;
  hidePathEntry(): void;
  dismissCaptureError(): void;
}

const closedCapture = {
  overview: null,
  findings: [],
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
        // Processes stay in main: the table asks for windows of them (startReview).
        const findings = await api.getFindings({ handle });
        if (sequence !== openSequence) {
          void api.closeCapture({ handle });
          return false;
        }
        if (!findings.ok) return fail(findings.error);
        const previous = get().overview;
        if (previous && previous.handle !== handle) void api.closeCapture({ handle: previous.handle });
        void get().clearComparison();
        get().resetReview();
        set({
          ...closedCapture,
          overview: opened.value,
          findings: sortFindings(findings.value),
          captureStatus: 'open',
          pathEntryVisible: false,
          view: 'review',
        });
        void get().loadRecentCaptures();
        await get().startReview();
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

      async openLaunchCapture() {
        const path = await api.getLaunchCapturePath();
        if (!path.ok) return fail(path.error);
        return path.value === null ? false : get().openCapture(path.value);
      },

      async closeCapture() {
        const overview = get().overview;
        openSequence++;
        void get().clearComparison();
        get().resetReview();
        set({ ...closedCapture, captureStatus: 'idle' });
        if (overview) await api.closeCapture({ handle: overview.handle });
      },

      hidePathEntry() {
        set({ pathEntryVisible: false });
      },

      dismissCaptureError() {
        set({ captureError: null });
      },
    };
  };
}
