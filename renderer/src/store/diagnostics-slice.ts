import type { CaptureAccess, CaptureGuestLogin, CaptureOutcome, CaptureStepId, JobProgressEvent, VmSummary, WorkbenchApi, WorkbenchError } from '../../../preload/api';
import { buildSteps, triagePreset } from '../features/diagnostics/capture-plan';
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
  openCapturePanel(hostId: string, vm: VmSummary): void;
  closeCapturePanel(): void;
  toggleCaptureStep(id: CaptureStepId): void;
  setCapturePids(text: string): void;
  setCaptureAccess(access: CaptureAccess): void;
  setCaptureLogin(change: Partial<DiagnosticsSlice['captureLogin']>): void;
  startCaptureRun(): Promise<void>;
  cancelCaptureRun(): Promise<void>;
  /** Follows the running capture's job; on success fetches the outcome and opens the capture in Review. */
  receiveCaptureProgress(event: JobProgressEvent): Promise<void>;
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
  return (set, get) => ({
    captureTarget: null,
    captureSelection: new Set(triagePreset),
    capturePids: '',
    captureAccess: 'auto',
    captureLogin: { user: '', identityFile: '', hostKeySha256: '' },
    captureJobId: null,
    captureOutcome: null,
    captureRunError: null,
    captureProblem: null,
    openCapturePanel(hostId, vm) {
      set({ captureTarget: { hostId, vm }, captureOutcome: null, captureRunError: null, captureProblem: null, captureJobId: null });
    },
    closeCapturePanel() {
      if (get().captureJobId !== null) return; // a running capture keeps its panel until it ends
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
      const { captureTarget, captureSelection, capturePids, captureAccess, captureJobId, captureLogin } = get();
      if (captureTarget === null || captureJobId !== null) return;
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
    async receiveCaptureProgress(event) {
      const { job } = event;
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
  });
}
