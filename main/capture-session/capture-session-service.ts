import type { CaptureOutcome, CaptureRequest } from '../../preload/api';
import { WorkbenchFailure, toWorkbenchError } from '../errors';
import type { JobRunner } from '../jobs/job-runner';
import type { CaptureHost } from './capture-host';
import { runCapture, type CapturePipelineOptions } from './capture-pipeline';

/** Captures as jobs, and their outcomes once done. */
export interface CaptureSessionService {
  /** Starts a capture; progress goes out as job events of kind `capture`. */
  start(request: CaptureRequest): Promise<{ readonly jobId: string }>;
  /** Resolves when the capture job ends: its outcome, or its failure thrown. */
  wait(jobId: string): Promise<CaptureOutcome>;
  /** The outcome of a finished capture, null while it runs; throws the capture's own error when it failed. */
  outcome(jobId: string): Promise<CaptureOutcome | null>;
}

/** What the service is built from. */
export interface CaptureSessionDeps {
  readonly jobs: JobRunner;
  readonly host: CaptureHost;
  readonly options: CapturePipelineOptions;
  /** Outcomes kept for `outcome` (oldest dropped first). */
  readonly keep?: number;
}

type Settled = { readonly ok: true; readonly value: CaptureOutcome } | { readonly ok: false; readonly error: unknown };

/** Builds the capture service over the job runner and a capture host. */
export function createCaptureSessionService(deps: CaptureSessionDeps): CaptureSessionService {
  const keep = deps.keep ?? 50;
  const running = new Map<string, Promise<CaptureOutcome>>();
  const settled = new Map<string, Settled>();

  const remember = (jobId: string, result: Settled): void => {
    running.delete(jobId);
    settled.set(jobId, result);
    for (const oldest of settled.keys()) {
      if (settled.size <= keep) break;
      settled.delete(oldest);
    }
  };

  return {
    async start(request) {
      const title = `Capture ${request.vmId}`;
      const started = deps.jobs.start('capture', title, (context) =>
        runCapture(deps.host, request, context, { ...deps.options, caseDir: request.caseDir ?? deps.options.caseDir }),
      );
      running.set(started.jobId, started.done);
      started.done.then(
        (value) => remember(started.jobId, { ok: true, value }),
        (error: unknown) => remember(started.jobId, { ok: false, error }),
      );
      return { jobId: started.jobId };
    },
    async wait(jobId) {
      const pending = running.get(jobId);
      if (pending !== undefined) return pending;
      const result = settled.get(jobId);
      if (result === undefined) throw new WorkbenchFailure('NOT_FOUND', `No capture job ${jobId}.`, { subject: jobId });
      if (result.ok) return result.value;
      throw result.error;
    },
    async outcome(jobId) {
      if (running.has(jobId)) return null;
      const result = settled.get(jobId);
      if (result === undefined) throw new WorkbenchFailure('NOT_FOUND', `No capture job ${jobId}.`, { subject: jobId });
      if (result.ok) return result.value;
      const error = toWorkbenchError(result.error);
      throw new WorkbenchFailure(error.code, error.message, { hint: error.hint, ...(error.subject === undefined ? {} : { subject: error.subject }) });
    },
  };
}
