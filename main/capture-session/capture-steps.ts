import type { CaptureAccess, CaptureStep, CaptureStepId } from '../../preload/api';

/** The triage preset: what every capture should hold to be reviewed. */
export const triageSteps: readonly CaptureStep[] = [{ id: 'processes' }, { id: 'sockets' }, { id: 'system' }, { id: 'kernel-symbols' }];

/** Steps that run inside the guest and so need a way in; only the memory dump does without. */
const agentlessSteps: ReadonlySet<CaptureStepId> = new Set(['memory-dump']);

/** True when a step needs the guest agent (everything but the memory dump). */
export function needsGuestAccess(step: CaptureStepId): boolean {
  return !agentlessSteps.has(step);
}

/** What the clone offers to get in: the helper's `list`, and whether the user gave a guest login. */
export interface CloneAccessFacts {
  /** The VM has a qemu-ga channel (the clone keeps it). */
  readonly qgaChannel: boolean;
  /** A login for the clone's own sshd was given. */
  readonly guestLogin?: boolean;
}

/** The way in chosen before a capture runs, with the reason shown to the user. */
export interface AccessPlan {
  readonly access: 'qga' | 'ssh' | 'none';
  readonly reason: string;
  /** Steps that will be skipped because of the way in, each with why. */
  readonly skipped: readonly { readonly step: CaptureStepId; readonly reason: string }[];
}

/**
 * Chooses how the capture reaches into the clone.
 *
 * `auto` takes the guest agent when the VM has its channel (the helper still checks, in the clone,
 * that the agent answers and allows guest-exec, and skips with a reason when it does not); without
 * one, SSH into the clone when a guest login was given. Otherwise only the memory dump can be taken,
 * and every other step is listed as skipped up front.
 */
export function chooseAccess(requested: CaptureAccess, facts: CloneAccessFacts, steps: readonly CaptureStep[]): AccessPlan {
  const guestSteps = [...new Set(steps.map((step) => step.id).filter(needsGuestAccess))];
  if ((requested === 'qga' || requested === 'auto') && facts.qgaChannel) {
    return { access: 'qga', reason: 'The VM has a guest agent channel: diagnostics run in the clone through qemu-guest-agent.', skipped: [] };
  }
  if ((requested === 'ssh' || requested === 'auto') && facts.guestLogin === true) {
    return { access: 'ssh', reason: "Diagnostics run in the clone over SSH, through a loopback forward on the host to the clone's sshd.", skipped: [] };
  }
  const reason =
    requested === 'none'
      ? 'Agentless was asked for: only the memory dump is taken.'
      : requested === 'ssh'
        ? 'SSH into the clone needs a guest login: only the memory dump can be taken.'
        : 'The VM has no guest agent channel and no guest login was given: only the memory dump can be taken.';
  const why =
    requested === 'none'
      ? 'Agentless capture: no commands run in the clone.'
      : facts.qgaChannel
        ? 'No guest login was given for SSH into the clone.'
        : 'The clone has no guest agent to run it with, and no guest login was given for SSH.';
  return { access: 'none', reason, skipped: guestSteps.map((step) => ({ step, reason: why })) };
}

/**
 * The `steps` argument of the helper's `collect` verb, in the order asked, without duplicates.
 *
 * Options the helper does not know for a step are left out, so a UI mistake cannot become a
 * VALIDATION_FAILED that stops the whole collect.
 */
export function helperCollectSteps(steps: readonly CaptureStep[]): Record<string, unknown>[] {
  const seen = new Set<string>();
  const out: Record<string, unknown>[] = [];
  for (const step of steps) {
    const key = step.id === 'command' ? `command:${step.name ?? ''}` : step.id;
    if (seen.has(key)) continue;
    seen.add(key);
    const entry: Record<string, unknown> = { id: step.id };
    if (step.pids !== undefined && ['backtraces', 'kernel-stacks', 'core-dump', 'syscalls'].includes(step.id)) entry['pids'] = [...step.pids];
    if (step.seconds !== undefined && ['syscalls', 'metrics', 'command'].includes(step.id)) entry['seconds'] = step.seconds;
    if (step.intervalSeconds !== undefined && step.id === 'metrics') entry['intervalSeconds'] = step.intervalSeconds;
    if (step.id === 'command') {
      entry['argv'] = [...(step.argv ?? [])];
      if (step.name !== undefined) entry['name'] = step.name;
    }
    if (step.format !== undefined && step.id === 'memory-dump') entry['format'] = step.format;
    out.push(entry);
  }
  return out;
}

/**
 * Steps from the CLI's `--steps a,b,c` and `--pids 1,2`: the pids go to every per-process step.
 *
 * Returns a message instead when a name is not a step.
 */
export function stepsFromList(names: readonly string[], pids: readonly number[]): CaptureStep[] | string {
  const perProcess = new Set<CaptureStepId>(['backtraces', 'kernel-stacks', 'core-dump', 'syscalls']);
  const steps: CaptureStep[] = [];
  for (const name of names) {
    const id = captureStepIds.find((candidate) => candidate === name);
    if (id === undefined) return `unknown step "${name}" (steps: ${captureStepIds.join(', ')})`;
    if (perProcess.has(id) && pids.length === 0) return `step ${id} needs --pids`;
    if (id === 'command') return 'the command step is not available from --steps';
    steps.push(perProcess.has(id) ? { id, pids } : { id });
  }
  return steps;
}

/** Every step id, for validation. */
export const captureStepIds: readonly CaptureStepId[] = [
  'processes',
  'sockets',
  'system',
  'backtraces',
  'kernel-stacks',
  'core-dump',
  'syscalls',
  'metrics',
  'command',
  'kernel-symbols',
  'memory-dump',
];
