import type { JobProgressEvent, JobSnapshot } from '../../../../preload/api';

/**
 * The job list after one progress event.
 *
 * Events may arrive out of order (a late "running" after "succeeded"): a finished job never goes back
 * to running, and progress never moves backwards while running. Newest jobs come first.
 */
export function applyJobProgress(jobs: readonly JobSnapshot[], event: JobProgressEvent): readonly JobSnapshot[] {
  const incoming = event.job;
  const index = jobs.findIndex((job) => job.jobId === incoming.jobId);
  if (index === -1) return sortNewestFirst([...jobs, incoming]);
  const current = jobs[index] as JobSnapshot;
  if (current.state !== 'running' && incoming.state === 'running') return jobs;
  const next =
    incoming.state === 'running' && incoming.value < current.value ? { ...incoming, value: current.value } : incoming;
  const copy = [...jobs];
  copy[index] = next;
  return copy;
}

/**
 * The job list after a full listing from the service, keeping newer event snapshots.
 *
 * A listing can be older than events that arrived while it was in flight.
 */
export function mergeJobList(jobs: readonly JobSnapshot[], listed: readonly JobSnapshot[]): readonly JobSnapshot[] {
  let merged = sortNewestFirst([...listed]);
  for (const job of jobs) merged = applyJobProgress(merged, { job });
  return merged;
}

/** How many jobs are still running. */
export function countRunningJobs(jobs: readonly JobSnapshot[]): number {
  return jobs.filter((job) => job.state === 'running').length;
}

function sortNewestFirst(jobs: JobSnapshot[]): readonly JobSnapshot[] {
  return jobs.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}
