import { describe, expect, it } from 'vitest';
import type { JobSnapshot } from '../../../../../preload/api';
import {
  applyJobProgress,
  countRunningJobs,
  mergeJobList,
} from '../../../../../renderer/src/store/logic/apply-job-progress';

function job(jobId: string, extra: Partial<JobSnapshot> = {}): JobSnapshot {
  return {
    jobId,
    kind: 'open-capture',
    title: `Job ${jobId}`,
    state: 'running',
    value: 0,
    step: 'starting',
    startedAt: '2026-11-26T10:00:00.000Z',
    ...extra,
  };
}

describe('applyJobProgress', () => {
  it('adds a new job, newest first', () => {
    const older = job('a', { startedAt: '2026-11-26T09:00:00.000Z' });
    const jobs = applyJobProgress([older], { job: job('b') });
    expect(jobs.map((item) => item.jobId)).toEqual(['b', 'a']);
  });

  it('replaces the snapshot of a known job', () => {
    const jobs = applyJobProgress([job('a')], { job: job('a', { value: 0.5, step: 'hashing' }) });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ value: 0.5, step: 'hashing' });
  });

  it('never moves progress backwards while running', () => {
    const jobs = applyJobProgress([job('a', { value: 0.7 })], { job: job('a', { value: 0.2, step: 'late' }) });
    expect(jobs[0]).toMatchObject({ value: 0.7, step: 'late' });
  });

  it('keeps a finished job finished when a late running event arrives', () => {
    const done = job('a', { state: 'succeeded', value: 1 });
    const jobs = applyJobProgress([done], { job: job('a', { value: 0.9 }) });
    expect(jobs[0]).toBe(done);
  });

  it('lets a running job finish, failed with its error', () => {
    const error = { code: 'HELPER_FAILED' as const, message: 'boom', hint: 'look' };
    const jobs = applyJobProgress([job('a', { value: 0.4 })], { job: job('a', { state: 'failed', value: 0.4, error }) });
    expect(jobs[0]).toMatchObject({ state: 'failed', error });
  });
});

describe('mergeJobList', () => {
  it('keeps event snapshots newer than a listing that was in flight', () => {
    const fromEvents = [job('a', { state: 'succeeded', value: 1 })];
    const listed = [job('a', { value: 0.3 }), job('b', { startedAt: '2026-11-26T11:00:00.000Z' })];
    const merged = mergeJobList(fromEvents, listed);
    expect(merged.map((item) => [item.jobId, item.state])).toEqual([
      ['b', 'running'],
      ['a', 'succeeded'],
    ]);
  });
});

describe('countRunningJobs', () => {
  it('counts only running jobs', () => {
    expect(countRunningJobs([job('a'), job('b', { state: 'cancelled' }), job('c')])).toBe(2);
  });
});
