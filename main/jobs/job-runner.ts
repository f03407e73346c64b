import { randomUUID } from 'node:crypto';
import type { JobKind, JobSnapshot, WorkbenchError } from '../../preload/api';
import { WorkbenchFailure, toWorkbenchError } from '../errors';
import { createLogger } from '../logging/logger';

const log = createLogger('jobs');

/** What a job's work receives: its signal and a way to report progress. */
export interface JobContext {
  readonly jobId: string;
  readonly signal: AbortSignal;
  /** Reports progress; `value` is clamped to 0..1 and never goes backwards. */
  progress(value: number, step: string, lastLine?: string): void;
}

/** A job's work. Cleanup belongs in its own `finally`; the runner only aborts the signal. */
export type JobWork<T> = (context: JobContext) => Promise<T>;

/** Runs long work as jobs with ids, progress events and cancel. */
export interface JobRunner {
  /** Starts work and returns its id at once; the promise settles when the work does. */
  start<T>(kind: JobKind, title: string, work: JobWork<T>): { jobId: string; done: Promise<T> };
  /** Runs work as a job and waits for it. */
  run<T>(kind: JobKind, title: string, work: JobWork<T>): Promise<T>;
  cancel(jobId: string): boolean;
  list(): JobSnapshot[];
  /** Cancels every running job and waits for their cleanup (app quit). */
  shutdown(): Promise<void>;
}

/** Creates the job runner; `emit` receives every snapshot change. */
export function createJobRunner(emit: (job: JobSnapshot) => void, options: { keepFinished?: number } = {}): JobRunner {
  const keepFinished = options.keepFinished ?? 50;
  const jobs = new Map<string, JobSnapshot>();
  const controllers = new Map<string, AbortController>();
  const running = new Map<string, Promise<unknown>>();

  const update = (jobId: string, change: Partial<JobSnapshot>): void => {
    const current = jobs.get(jobId);
    if (!current) return;
    const next: JobSnapshot = { ...current, ...change };
    jobs.set(jobId, next);
    emit(next);
  };

  const prune = (): void => {
    const finished = [...jobs.values()].filter((job) => job.state !== 'running');
    for (const job of finished.slice(0, Math.max(0, finished.length - keepFinished))) jobs.delete(job.jobId);
  };

  const start = <T>(kind: JobKind, title: string, work: JobWork<T>): { jobId: string; done: Promise<T> } => {
    const jobId = randomUUID();
    const controller = new AbortController();
    controllers.set(jobId, controller);
    const snapshot: JobSnapshot = {
      jobId,
      kind,
      title,
      state: 'running',
      value: 0,
      step: 'Starting',
      startedAt: new Date().toISOString(),
    };
    jobs.set(jobId, snapshot);
    emit(snapshot);

    let lastValue = 0;
    const context: JobContext = {
      jobId,
      signal: controller.signal,
      progress(value, step, lastLine) {
        // Progress still flows after a cancel: rollback steps are what the user most wants to see.
        lastValue = Math.max(lastValue, Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0)));
        update(jobId, { value: lastValue, step, ...(lastLine === undefined ? {} : { lastLine }) });
      },
    };

    const done = (async () => {
      try {
        // The work decides whether a cancel took effect: a result means it finished (a clone that
        // became ready before the cancel arrived exists, and the user must see it).
        const result = await work(context);
        update(jobId, { state: 'succeeded', value: 1, step: 'Done', endedAt: new Date().toISOString() });
        return result;
      } catch (caught) {
        const error: WorkbenchError =
          controller.signal.aborted && !(caught instanceof WorkbenchFailure && caught.code !== 'CANCELLED')
            ? toWorkbenchError(new WorkbenchFailure('CANCELLED', `${title}: cancelled.`))
            : toWorkbenchError(caught);
        if (error.code === 'INTERNAL') log.error(`job ${kind} failed`, caught);
        update(jobId, {
          state: error.code === 'CANCELLED' ? 'cancelled' : 'failed',
          step: error.code === 'CANCELLED' ? 'Cancelled' : 'Failed',
          endedAt: new Date().toISOString(),
          error,
        });
        throw caught instanceof WorkbenchFailure || error.code !== 'CANCELLED'
          ? caught
          : new WorkbenchFailure('CANCELLED', `${title}: cancelled.`);
      } finally {
        controllers.delete(jobId);
        running.delete(jobId);
        prune();
      }
    })();
    running.set(jobId, done.catch(() => undefined));
    return { jobId, done };
  };

  return {
    start,
    run: (kind, title, work) => start(kind, title, work).done,
    cancel(jobId) {
      const controller = controllers.get(jobId);
      if (!controller) return false;
      controller.abort(new WorkbenchFailure('CANCELLED', 'Cancelled by the user.'));
      return true;
    },
    list: () => [...jobs.values()],
    async shutdown() {
      for (const controller of controllers.values()) controller.abort(new WorkbenchFailure('CANCELLED', 'The app is closing.'));
      await Promise.all(running.values());
    },
  };
}
