import { posix } from 'node:path';
import type { WorkbenchError } from '../../preload/api';
import { helperEntryPath } from '../helper-client/helper-deploy';
import type { GcSession, RecoverOutcome, SessionVm } from '../helper-client/helper-payloads';

// What the app does about interrupted helper sessions when it connects to a host, as pure functions:
// which sessions `gc` listed are to be recovered, and the sentences that say what `recover` did.

/** The sessions `recover` is to run on, and those it must not touch. */
export interface RecoveryPlan {
  /** Interrupted: no helper holds them, and gc says they need recover. */
  readonly recover: readonly GcSession[];
  /** Held by a live helper (a clone or destroy at work): never recovered under it. */
  readonly active: readonly GcSession[];
}

/** Decides, from `gc` entries, which sessions to recover: `needs-recover` ones no helper holds. */
export function planRecovery(sessions: readonly GcSession[]): RecoveryPlan {
  return {
    recover: sessions.filter((session) => !session.helperActive && session.action === 'needs-recover'),
    active: sessions.filter((session) => session.helperActive),
  };
}

/** How a session's VM is named in a sentence: the libvirt domain, or the QMP socket's file name. */
export function sessionVmLabel(vm: SessionVm | null): string {
  if (vm === null || vm.target === null || vm.target === '') return 'an unknown VM';
  if (vm.kind === 'qmp') return posix.basename(vm.target).replace(/\.(qmp|sock)$/, '');
  return vm.target;
}

// Teardown actions (docs/helper-protocol.md, `destroy`) in words, in the order a reader cares about.
const actionWords: ReadonlyArray<readonly [prefix: string, words: string]> = [
  ['source-resumed', 'source resumed'],
  ['migration-cancelled', 'migration cancelled'],
  ['caps-restored', 'migration settings restored'],
  ['clone-stopped', 'clone stopped'],
  ['source-committed:', 'overlay folded back'],
];

/** The teardown actions of one or more recovered sessions, in words ("source resumed, clone stopped"). */
export function describeActions(actions: readonly string[]): string {
  const words: string[] = [];
  for (const [prefix, phrase] of actionWords) {
    const count = actions.filter((action) => (prefix.endsWith(':') ? action.startsWith(prefix) : action === prefix)).length;
    if (count === 0) continue;
    words.push(prefix === 'source-committed:' && count > 1 ? `${count} overlays folded back` : phrase);
  }
  return words.length === 0 ? 'nothing was left to undo; its files were removed' : words.join(', ');
}

/** One session's recover, as the app ran it: the helper's outcome, or the failure of the job itself. */
export type SessionRecovery =
  | { readonly session: GcSession; readonly jobId: string; readonly outcome: RecoverOutcome }
  | { readonly session: GcSession; readonly jobId: string | null; readonly failure: WorkbenchError };

/** What the Hosts view shows about the recoveries of one connect. */
export interface RecoveryReport {
  readonly tone: 'info' | 'warning';
  readonly text: string;
  /** The first failure, with the hint to run the helper's `recover` by hand. */
  readonly error: WorkbenchError | null;
}

/** The command a person runs on the host to recover one clone by hand. */
export function manualRecoverCommand(helperDir: string, cloneId: string): string {
  return `sudo python3 ${helperEntryPath(helperDir)} recover --json-args '{"cloneId":"${cloneId}"}'`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * Says what the recoveries of one connect did, grouped by VM:
 * "Recovered 1 interrupted clone of lab-db: source resumed, migration cancelled, clone stopped, overlay folded back."
 *
 * `sourceStates` (by `list` id, read after the recoveries) adds what each source VM is now: the promise
 * that matters is that production runs, and a source still paused is a warning.
 */
export function describeRecoveries(
  recoveries: readonly SessionRecovery[],
  helperDir: string,
  sourceStates: ReadonlyMap<string, string> = new Map(),
): RecoveryReport {
  const sentences: string[] = [];
  let error: WorkbenchError | null = null;
  let stillPaused = false;
  const ids = new Map(recoveries.map((recovery) => [sessionVmLabel(recovery.session.vm), recovery.session.vm?.id ?? null]));
  const recovered = new Map<string, string[][]>();
  for (const recovery of recoveries) {
    const vm = sessionVmLabel(recovery.session.vm);
    const id = recovery.session.cloneId;
    const failure =
      'failure' in recovery
        ? recovery.failure
        : recovery.outcome.outcome === 'failed'
          ? { code: 'HELPER_FAILED' as const, message: recovery.outcome.error?.message ?? 'recover failed without a message', hint: '' }
          : null;
    if (failure !== null) {
      sentences.push(`Could not recover interrupted clone ${id} of ${vm}: ${failure.message}`.replace(/\.?$/, '.'));
      error ??= {
        ...failure,
        hint: `The source VM may still be paused. Run recover by hand on the host: ${manualRecoverCommand(helperDir, id)}`,
      };
      continue;
    }
    if ('outcome' in recovery && recovery.outcome.outcome === 'recovered') {
      recovered.set(vm, [...(recovered.get(vm) ?? []), [...recovery.outcome.actions]]);
    } else if ('outcome' in recovery && recovery.outcome.outcome === 'busy') {
      sentences.push(`Left interrupted clone ${id} of ${vm} alone: another helper took it over.`);
    } else {
      sentences.push(`Left clone ${id} of ${vm} alone: it is running.`);
    }
  }
  const done = [...recovered].map(([vm, actionLists]) => {
    const id = ids.get(vm);
    const state = id === null || id === undefined ? undefined : sourceStates.get(id);
    if (state !== undefined && state !== 'running') stillPaused = true;
    const now = state === undefined ? '' : state === 'running' ? `; ${vm} is running` : `; ${vm} is ${state}, not running: check it`;
    return `Recovered ${plural(actionLists.length, 'interrupted clone')} of ${vm}: ${describeActions(actionLists.flat())}${now}.`;
  });
  return { tone: error === null && !stillPaused ? 'info' : 'warning', text: [...done, ...sentences].join(' '), error };
}
