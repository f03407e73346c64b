import type { JobProgressEvent, JobSnapshot, WorkbenchApi, WorkbenchError } from '../../../preload/api';
import { applyJobProgress, mergeJobList } from './logic/apply-job-progress';
import type { SliceCreator } from './types';

/** Long work: every job the services report, newest first. */
export interface JobsSlice {
  readonly jobs: readonly JobSnapshot[];
  readonly jobsError: WorkbenchError | null;
  loadJobs(): Promise<void>;
  receiveJobProgress(event: JobProgressEvent): void;
  cancelJob(jobId: string): Promise<void>;
}

/** Creates the jobs slice over the contract. */
export function createJobsSlice(api: WorkbenchApi): SliceCreator<JobsSlice> {
  return (set) => ({
    jobs: [],
    jobsError: null,
    async loadJobs() {
      const result = await api.listJobs();
      if (result.ok) set((state) => ({ jobs: mergeJobList(state.jobs, result.value), jobsError: null }));
      else set({ jobsError: result.error });
    },
    receiveJobProgress(event) {
      set((state) => ({ jobs: applyJobProgress(state.jobs, event) }));
    },
    async cancelJob(jobId) {
      const result = await api.cancelJob({ jobId });
      set({ jobsError: result.ok ? null : result.error });
    },
  });
}
