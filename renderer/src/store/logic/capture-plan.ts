import type { CaptureAccess, CaptureStep, CaptureStepId, VmSummary } from '../../../../preload/api';

/** A step the panel offers, with what it needs. */
export interface StepChoice {
  readonly id: CaptureStepId;
  readonly label: string;
  /** Needs target processes (pids). */
  readonly perProcess: boolean;
  /** Runs in the guest, so needs the guest agent. */
  readonly inGuest: boolean;
}

/** The steps the panel offers, triage first. */
export const stepChoices: readonly StepChoice[] = [
  { id: 'processes', label: 'Processes', perProcess: false, inGuest: true },
  { id: 'sockets', label: 'Sockets', perProcess: false, inGuest: true },
  { id: 'system', label: 'System (kernel, modules, mounts, persistence)', perProcess: false, inGuest: true },
  { id: 'kernel-symbols', label: 'Kernel symbols', perProcess: false, inGuest: true },
  { id: 'backtraces', label: 'gdb backtraces of every thread', perProcess: true, inGuest: true },
  { id: 'kernel-stacks', label: 'Kernel stacks', perProcess: true, inGuest: true },
  { id: 'core-dump', label: 'Core dump', perProcess: true, inGuest: true },
  { id: 'syscalls', label: 'Syscall summary (5 s)', perProcess: true, inGuest: true },
  { id: 'metrics', label: 'Metrics (10 s)', perProcess: false, inGuest: true },
  { id: 'memory-dump', label: 'Memory dump of the clone', perProcess: false, inGuest: false },
];

/** The triage preset. */
export const triagePreset: readonly CaptureStepId[] = ['processes', 'sockets', 'system', 'kernel-symbols'];

/** The way in the panel shows before running; main decides the same way from the helper's fresh list. */
export function describeAccess(
  vm: Pick<VmSummary, 'qgaChannel'>,
  access: CaptureAccess,
  hasGuestLogin = false,
): { readonly label: string; readonly detail: string; readonly agentless: boolean } {
  if ((access === 'auto' || access === 'qga') && vm.qgaChannel) {
    return { label: 'qemu-guest-agent', detail: 'Diagnostics run inside the clone through its guest agent, with our own toolkit.', agentless: false };
  }
  if ((access === 'auto' || access === 'ssh') && hasGuestLogin) {
    return {
      label: 'SSH into the clone',
      detail: "Diagnostics run inside the clone over SSH, through a loopback forward on the host; the clone shows the VM's own host key.",
      agentless: false,
    };
  }
  return {
    label: 'agentless',
    detail:
      access === 'none'
        ? 'Agentless was chosen: only the memory dump is taken.'
        : 'No guest agent channel and no guest login: only the memory dump can be taken. Give a guest login to go in over SSH.',
    agentless: true,
  };
}

/** Parses the pid field: positive whole numbers separated by commas or spaces; null when any part is not one. */
export function parsePids(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter((part) => part !== '');
  const pids = parts.map(Number);
  return pids.every((pid) => Number.isInteger(pid) && pid > 0 && pid <= 4_194_304) ? [...new Set(pids)] : null;
}

/** What the panel's selection becomes, or why it cannot run. */
export type StepsOrProblem = { readonly steps: CaptureStep[] } | { readonly problem: string };

/** Builds the request's steps from the chosen ids and the pid field, in the offered order. */
export function buildSteps(selected: ReadonlySet<CaptureStepId>, pidText: string): StepsOrProblem {
  const chosen = stepChoices.filter((choice) => selected.has(choice.id));
  if (chosen.length === 0) return { problem: 'Choose at least one step.' };
  const needsPids = chosen.some((choice) => choice.perProcess);
  const pids = parsePids(pidText);
  if (needsPids && (pids === null || pids.length === 0)) return { problem: 'Per-process steps need process ids (e.g. 412, 977).' };
  if (pids !== null && pids.length > 64) return { problem: 'At most 64 processes.' };
  return { steps: chosen.map((choice) => (choice.perProcess ? { id: choice.id, pids: pids ?? [] } : { id: choice.id })) };
}

/** Steps that will not run with this way in, for the list shown before running. */
export function stepsSkippedBy(selected: ReadonlySet<CaptureStepId>, agentless: boolean): CaptureStepId[] {
  return agentless ? stepChoices.filter((choice) => choice.inGuest && selected.has(choice.id)).map((choice) => choice.id) : [];
}
