import type {
  AgentRunRequest,
  ExperimentOutcome,
  JobProgressEvent,
  ServiceProfile,
  TuningRequest,
  WorkbenchApi,
  WorkbenchError,
} from '../../../preload/api';
import type { SliceCreator } from './types';

/** The twin an experiment runs on. */
export interface ExperimentTarget {
  readonly hostId: string;
  readonly twinId: string;
}

/** Experiments on a twin: live tuning and monitoring agents, the running job and its outcome. */
export interface ExperimentsSlice {
  /** The services the app knows how to tune; null until loaded. */
  readonly serviceProfiles: readonly ServiceProfile[] | null;
  readonly experimentTarget: ExperimentTarget | null;
  readonly experimentJobId: string | null;
  readonly experimentOutcome: ExperimentOutcome | null;
  /** Why the last experiment could not start, failed, or has no outcome. */
  readonly experimentError: WorkbenchError | null;
  loadServiceProfiles(): Promise<void>;
  selectExperimentTarget(target: ExperimentTarget | null): void;
  startTuningRun(request: TuningRequest): Promise<void>;
  startAgentsRun(request: AgentRunRequest): Promise<void>;
  cancelExperiment(): Promise<void>;
  /** Follows the running experiment's job; on success fetches its outcome (the report). */
  receiveExperimentProgress(event: JobProgressEvent): Promise<void>;
  /** Opens the finished experiment's bundle in Review. */
  openExperimentBundle(): Promise<void>;
  dismissExperimentError(): void;
}

/** Creates the experiments slice over the contract. */
export function createExperimentsSlice(api: WorkbenchApi): SliceCreator<ExperimentsSlice> {
  return (set, get) => {
    const started = (result: Awaited<ReturnType<WorkbenchApi['startTuning']>>): void => {
      if (result.ok) set({ experimentJobId: result.value.jobId });
      else set({ experimentError: result.error });
    };
    const canStart = (): boolean => get().experimentJobId === null;
    return {
      serviceProfiles: null,
      experimentTarget: null,
      experimentJobId: null,
      experimentOutcome: null,
      experimentError: null,
      async loadServiceProfiles() {
        const result = await api.listServiceProfiles();
        if (result.ok) set({ serviceProfiles: result.value });
        else set({ serviceProfiles: [], experimentError: result.error });
      },
      selectExperimentTarget(target) {
        // A running experiment keeps its twin until it ends.
        if (!canStart()) return;
        set({ experimentTarget: target, experimentOutcome: null, experimentError: null });
      },
      async startTuningRun(request) {
        if (!canStart()) return;
        set({ experimentOutcome: null, experimentError: null });
        started(await api.startTuning(request));
      },
      async startAgentsRun(request) {
        if (!canStart()) return;
        set({ experimentOutcome: null, experimentError: null });
        started(await api.startAgentRun(request));
      },
      async cancelExperiment() {
        const jobId = get().experimentJobId;
        if (jobId !== null) await get().cancelJob(jobId);
      },
      async receiveExperimentProgress(event) {
        const { job } = event;
        if (job.jobId !== get().experimentJobId || job.state === 'running') return;
        if (job.state !== 'succeeded') {
          // A failed or cancelled experiment may still have sealed what it measured.
          const kept = await api.getExperimentOutcome({ jobId: job.jobId });
          set({ experimentJobId: null, experimentError: job.error ?? null, experimentOutcome: kept.ok ? kept.value : null });
          return;
        }
        const outcome = await api.getExperimentOutcome({ jobId: job.jobId });
        if (!outcome.ok) {
          set({ experimentJobId: null, experimentError: outcome.error });
          return;
        }
        set({ experimentJobId: null, experimentOutcome: outcome.value, experimentError: outcome.value?.error ?? null });
      },
      async openExperimentBundle() {
        const outcome = get().experimentOutcome;
        if (outcome !== null) await get().openCapture(outcome.bundlePath);
      },
      dismissExperimentError() {
        set({ experimentError: null });
      },
    };
  };
}
