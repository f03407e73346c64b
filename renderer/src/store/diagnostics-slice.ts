import type {
  CaptureAccess,
  CaptureGuestLogin,
  CaptureOutcome,
  CaptureStepId,
  JobProgressEvent,
  JobSnapshot,
  ProcessRow,
  VmSummary,
  WorkbenchApi,
  WorkbenchError,
} from '../../../preload/api';
import { buildSteps, triagePreset } from './logic/capture-plan';
import { withPidToggled } from './logic/quick-listing';
import type { SliceCreator } from './types';

/** The VM a capture is being prepared for. */
export interface CaptureTarget {
  readonly hostId: string;
  readonly vm: VmSummary;
}

/** The Diagnostics panel: what to capture, the running capture, and its outcome. */
export interface DiagnosticsSlice {
  readonly captureTarget: CaptureTarget | null;
  readonly captureSelection: ReadonlySet<CaptureStepId>;
  readonly capturePids: string;
  readonly captureAccess: CaptureAccess;
  /** The SSH way in: user, key file and the accepted clone host key, as typed (empty = none). */
  readonly captureLogin: { readonly user: string; readonly identityFile: string; readonly hostKeySha256: string };
  readonly captureJobId: string | null;
  readonly captureOutcome: CaptureOutcome | null;
  readonly captureRunError: WorkbenchError | null;
  /** Why the selection cannot run, shown under the form. */
  readonly captureProblem: string | null;
  /** The running quick listing (a processes-only capture), if any. */
  readonly listingJobId: string | null;
  /** The clone's processes from the last quick listing; null before one. */
  readonly listing: QuickListing | null;
  readonly listingSearch: string;
  /** Why the last quick listing has no processes (a failed job, or the step skipped or failed). */
  readonly listingError: WorkbenchError | null;
  openCapturePanel(hostId: string, vm: VmSummary): void;
  closeCapturePanel(): void;
  toggleCaptureStep(id: CaptureStepId): void;
  setCapturePids(text: string): void;
  setCaptureAccess(access: CaptureAccess): void;
  setCaptureLogin(change: Partial<DiagnosticsSlice['captureLogin']>): void;
  startCaptureRun(): Promise<void>;
  cancelCaptureRun(): Promise<void>;
  /** Runs a capture of only the processes step, to pick targets from. */
  startQuickListing(): Promise<void>;
  cancelQuickListing(): Promise<void>;
  setListingSearch(text: string): void;
  /** Picks or unpicks one listed process as a target (the pid field follows). */
  togglePickedPid(pid: number): void;
  /**
   * Follows the running capture's job (on success fetches the outcome and opens the capture in Review)
   * and the quick listing's (on success reads the processes of its bundle).
   */
  receiveCaptureProgress(event: JobProgressEvent): Promise<void>;
}

/** The processes of a quick listing's bundle, kept as evidence in the case folder. */
export interface QuickListing {
  readonly bundlePath: string;
  /** When the listed clone was cut (UTC ISO). */
  readonly listedAt: string;
  readonly processes: readonly ProcessRow[];
}

/** Why a finished listing has no processes, from its outcome; null when the processes step ran. */
export function listingProblemOf(outcome: CaptureOutcome): WorkbenchError | null {
  const failure = outcome.failed.find((entry) => entry.step === 'processes');
  const skip = outcome.skipped.find((entry) => entry.step === 'processes');
  if (failure === undefined && skip === undefined) return null;
  return {
    code: failure === undefined ? 'VALIDATION_FAILED' : 'HELPER_FAILED',
    message: `The quick listing has no processes: ${failure?.message ?? skip?.reason ?? ''}`,
    hint: 'Check the way in (the guest agent, or a guest login), or type the pids by hand.',
  };
}

/** Adds or removes one id of a selection (pure, so the panel and tests share it). */
export function toggled(selection: ReadonlySet<CaptureStepId>, id: CaptureStepId): ReadonlySet<CaptureStepId> {
  const next = new Set(selection);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

/** The login the request carries: none without a user, the fingerprint only when typed. */
export function guestLoginOf(login: DiagnosticsSlice['captureLogin']): CaptureGuestLogin | undefined {
  const user = login.user.trim();
  if (user === '') return undefined;
  const hostKey = login.hostKeySha256.trim();
  return { user, identityFile: login.identityFile.trim(), ...(hostKey === '' ? {} : { hostKeySha256: hostKey }) };
}

/** Creates the diagnostics slice over the contract. */
export function createDiagnosticsSlice(api: WorkbenchApi): SliceCreator<DiagnosticsSlice> {
  return (set, get) => {
    /** Reads the processes of a finished listing's bundle through the review services, then closes it. */
    const receiveListingEnd = async (job: JobSnapshot): Promise<void> => {
      const { jobId } = job;
      const finish = (change: { listing?: QuickListing; listingError?: WorkbenchError | null }) => {
        // A listing whose panel moved to another VM meanwhile is not shown there.
        if (get().listingJobId === jobId) set({ listingJobId: null, listingError: null, ...change });
      };
      if (job.state !== 'succeeded') {
        finish({ listingError: job.error ?? null });
        return;
      }
      const outcome = await api.getCaptureOutcome({ jobId });
      if (!outcome.ok || outcome.value === null) {
        finish({ listingError: outcome.ok ? null : outcome.error });
        return;
      }
      const problem = listingProblemOf(outcome.value);
      if (problem !== null) {
        finish({ listingError: problem });
        return;
      }
      const opened = await api.openCapture({ path: outcome.value.bundlePath });
      if (!opened.ok) {
        finish({ listingError: opened.error });
        return;
      }
      const processes = await api.getProcesses({ handle: opened.value.handle });
      await api.closeCapture({ handle: opened.value.handle });
      if (!processes.ok) {
        finish({ listingError: processes.error });
        return;
      }
      finish({ listing: { bundlePath: outcome.value.bundlePath, listedAt: opened.value.provenance.startedAt, processes: processes.value } });
    };
    return {
      captureTarget: null,
      captureSelection: new Set(triagePreset),
      capturePids: '',
      captureAccess: 'auto',
      captureLogin: { user: '', identityFile: '', hostKeySha256: '' },
      captureJobId: null,
      captureOutcome: null,
      captureRunError: null,
      captureProblem: null,
      listingJobId: null,
      listing: null,
      listingSearch: '',
      listingError: null,
      openCapturePanel(hostId, vm) {
        const sameVm = get().captureTarget?.vm.id === vm.id && get().captureTarget?.hostId === hostId;
        set({
          captureTarget: { hostId, vm },
          captureOutcome: null,
          captureRunError: null,
          captureProblem: null,
          captureJobId: null,
          listingJobId: null,
          listingError: null,
          // Another VM's processes are no targets here.
          ...(sameVm ? {} : { listing: null, listingSearch: '' }),
        });
      },
      closeCapturePanel() {
        if (get().captureJobId !== null || get().listingJobId !== null) return; // running work keeps its panel until it ends
        set({ captureTarget: null, captureProblem: null });
      },
      toggleCaptureStep(id) {
        set((state) => ({ captureSelection: toggled(state.captureSelection, id), captureProblem: null }));
      },
      setCapturePids(text) {
        set({ capturePids: text, captureProblem: null });
      },
      setCaptureAccess(access) {
        set({ captureAccess: access });
      },
      setCaptureLogin(change) {
        set((state) => ({ captureLogin: { ...state.captureLogin, ...change } }));
      },
      async startCaptureRun() {
        const { captureTarget, captureSelection, capturePids, captureAccess, captureJobId, captureLogin, listingJobId } = get();
        if (captureTarget === null || captureJobId !== null || listingJobId !== null) return;
        const built = buildSteps(captureSelection, capturePids);
        if ('problem' in built) {
          set({ captureProblem: built.problem });
          return;
        }
        set({ captureOutcome: null, captureRunError: null, captureProblem: null });
        const guestLogin = guestLoginOf(captureLogin);
        const started = await api.startCapture({
          hostId: captureTarget.hostId,
          vmId: captureTarget.vm.id,
          steps: built.steps,
          access: captureAccess,
          ...(guestLogin === undefined ? {} : { guestLogin }),
        });
        if (started.ok) set({ captureJobId: started.value.jobId });
        else set({ captureRunError: started.error });
      },
      async cancelCaptureRun() {
        const jobId = get().captureJobId;
        if (jobId !== null) await get().cancelJob(jobId);
      },
      async startQuickListing() {
        const { captureTarget, captureAccess, captureJobId, captureLogin, listingJobId } = get();
        if (captureTarget === null || captureJobId !== null || listingJobId !== null) return;
        set({ listingError: null, captureProblem: null });
        const guestLogin = guestLoginOf(captureLogin);
        const started = await api.startCapture({
          hostId: captureTarget.hostId,
          vmId: captureTarget.vm.id,
          steps: [{ id: 'processes' }],
          access: captureAccess,
          ...(guestLogin === undefined ? {} : { guestLogin }),
        });
        if (started.ok) set({ listingJobId: started.value.jobId });
        else set({ listingError: started.error });
      },
      async cancelQuickListing() {
        const jobId = get().listingJobId;
        if (jobId !== null) await get().cancelJob(jobId);
      },
      setListingSearch(text) {
        set({ listingSearch: text });
      },
      togglePickedPid(pid) {
        set((state) => ({ capturePids: withPidToggled(state.capturePids, pid), captureProblem: null }));
      },
      async receiveCaptureProgress(event) {
        const { job } = event;
        if (job.jobId === get().listingJobId && job.state !== 'running') {
          await receiveListingEnd(job);
          return;
        }
        if (job.jobId !== get().captureJobId || job.state === 'running') return;
        if (job.state !== 'succeeded') {
          set({ captureJobId: null, captureRunError: job.error ?? null });
          return;
        }
        const outcome = await api.getCaptureOutcome({ jobId: job.jobId });
        if (!outcome.ok || outcome.value === null) {
          set({ captureJobId: null, captureRunError: outcome.ok ? null : outcome.error });
          return;
        }
        set({ captureJobId: null, captureOutcome: outcome.value });
        await get().openCapture(outcome.value.bundlePath);
      },
    };
  };
}
