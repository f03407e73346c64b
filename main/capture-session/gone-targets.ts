import type { CaptureStep, CaptureStepFailure } from '../../preload/api';

/** Steps that act on chosen processes. */
const perProcessSteps: ReadonlySet<string> = new Set(['backtraces', 'kernel-stacks', 'core-dump', 'syscalls']);

/** The failure code of a target process that is not running in the clone. */
export const processGoneCode = 'PROCESS_GONE';

/**
 * The steps to run, with the process listing added first when per-process steps ask for pids.
 *
 * Targets are usually picked from an earlier clone; the new clone's own listing is what tells a
 * process that has since ended apart from a diagnostic tool that failed on a live one.
 */
export function withProcessListing(steps: readonly CaptureStep[]): CaptureStep[] {
  const targeted = steps.some((step) => perProcessSteps.has(step.id) && (step.pids?.length ?? 0) > 0);
  if (!targeted || steps.some((step) => step.id === 'processes')) return [...steps];
  return [{ id: 'processes' }, ...steps];
}

/**
 * Rewrites per-process failures of pids the clone does not have into a plain "process gone" failure.
 *
 * `clonePids` is the clone's listing, or null when none was collected (then nothing can be told).
 */
export function explainGoneTargets(failed: readonly CaptureStepFailure[], clonePids: readonly number[] | null): CaptureStepFailure[] {
  if (clonePids === null) return [...failed];
  const present = new Set(clonePids);
  return failed.map((failure) => {
    if (failure.pid === null || !perProcessSteps.has(failure.step) || present.has(failure.pid)) return failure;
    return {
      ...failure,
      code: processGoneCode,
      message: `Process ${failure.pid} is not running in this clone: it ended, or restarted under a new pid, after it was picked. Run a quick listing again and pick it anew.`,
    };
  });
}
