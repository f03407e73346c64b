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

/** The failure that names a target missing from the clone. */
function goneFailure(step: string, pid: number): CaptureStepFailure {
  return {
    step,
    pid,
    code: processGoneCode,
    message: `Process ${pid} is not running in this clone: it ended, or restarted under a new pid, after it was picked. Run a quick listing again and pick it anew.`,
  };
}

/**
 * Reports every target pid the clone does not list as a "process gone" failure of its step.
 *
 * A diagnostic tool may fail on a missing pid or may not (gdb exits 0 after "No such process"), so
 * the clone's own listing decides: a failure of that pid is rewritten, and one is added where the tool
 * said nothing. `clonePids` is null when no listing was collected; then nothing can be told.
 */
export function explainGoneTargets(steps: readonly CaptureStep[], failed: readonly CaptureStepFailure[], clonePids: readonly number[] | null): CaptureStepFailure[] {
  if (clonePids === null) return [...failed];
  const present = new Set(clonePids);
  const gone = (step: string, pid: number | null): pid is number => pid !== null && perProcessSteps.has(step) && !present.has(pid);
  const explained = failed.map((failure) => (gone(failure.step, failure.pid) ? goneFailure(failure.step, failure.pid) : failure));
  for (const step of steps) {
    for (const pid of step.pids ?? []) {
      if (gone(step.id, pid) && !explained.some((failure) => failure.step === step.id && failure.pid === pid)) explained.push(goneFailure(step.id, pid));
    }
  }
  return explained;
}
