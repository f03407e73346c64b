import { TOOLKIT_PLAN } from './toolkit-plan';
import { GUEST_OUTPUT_DIR } from './toolkit-layout';
import { ToolkitError } from './toolkit-error';

// Every argv is the toolkit plan's (resources/helper/civic_helper/toolkit_plan.json), which the helper runs
// too; this module only checks the inputs. Each starts with our busybox; gdb and strace start under
// `busybox env -i` and the toolkit's own loader, so nothing the agent inherited (LD_PRELOAD) reaches them.

/** The argv of one diagnostic run in the clone: `argv[0]` is an absolute path inside the toolkit. */
export type DiagnosticArgv = readonly [string, ...string[]];

const MAX_PID = 4_194_304; // the kernel's PID_MAX_LIMIT on 64-bit

function checkPid(pid: number): string {
  if (!Number.isInteger(pid) || pid < 1 || pid > MAX_PID) throw new ToolkitError(`not a process id: ${pid}`);
  return String(pid);
}

/** gdb attaches, lists the threads and prints a backtrace of every thread, then detaches (stdout). */
export function backtraceArgv(pid: number): DiagnosticArgv {
  return TOOLKIT_PLAN.diagnosticArgv('backtrace', { pid: checkPid(pid) });
}

/** Checks that a diagnostic output path stays a plain file name in the toolkit's output folder. */
export function outputPath(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) throw new ToolkitError(`not a plain output file name: ${name}`);
  return `${GUEST_OUTPUT_DIR}/${name}`;
}

/** gdb writes an ELF core of the running process (gcore) to the toolkit's output folder; the process goes on. */
export function coreDumpArgv(pid: number, name = `core.${checkPid(pid)}`): DiagnosticArgv {
  return TOOLKIT_PLAN.diagnosticArgv('coreDump', { pid: checkPid(pid), corePath: outputPath(name) });
}

/** Each thread's kernel stack, from /proc/PID/task/TID/stack, read by busybox only. */
export function kernelStacksArgv(pid: number): DiagnosticArgv {
  return TOOLKIT_PLAN.diagnosticArgv('kernelStacks', { pid: checkPid(pid) });
}

/**
 * strace counts the process's system calls (all threads) for `seconds`, then busybox timeout sends SIGINT
 * and strace detaches and prints its table to stderr.
 */
export function syscallSummaryArgv(pid: number, seconds: number): DiagnosticArgv {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) throw new ToolkitError(`not a duration in whole seconds (1-3600): ${seconds}`);
  return TOOLKIT_PLAN.diagnosticArgv('syscallSummary', { pid: checkPid(pid), seconds });
}

/** A structured document the collector writes. */
export type CollectorDocument = 'processes' | 'sockets' | 'system';

/** The collector writes one document to `output` (a path in the toolkit's output folder). */
export function collectorArgv(document: CollectorDocument, output: string): DiagnosticArgv {
  return TOOLKIT_PLAN.diagnosticArgv('collector', { document, output });
}
