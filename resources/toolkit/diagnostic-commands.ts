import {
  GUEST_BUSYBOX,
  GUEST_GDB,
  GUEST_GDB_DATA_DIR,
  GUEST_LIBRARY_DIR,
  GUEST_LOADER,
  GUEST_OUTPUT_DIR,
  GUEST_PYTHON_HOME,
  GUEST_STRACE,
} from './toolkit-layout';
import { ToolkitError } from './toolkit-error';

/** The argv of one diagnostic run in the clone: `argv[0]` is an absolute path inside the toolkit. */
export type DiagnosticArgv = readonly [string, ...string[]];

const MAX_PID = 4_194_304; // the kernel's PID_MAX_LIMIT on 64-bit

function checkPid(pid: number): string {
  if (!Number.isInteger(pid) || pid < 1 || pid > MAX_PID) throw new ToolkitError(`not a process id: ${pid}`);
  return String(pid);
}

/**
 * Starts a toolkit program through the toolkit's own loader and libraries with an empty environment.
 *
 * `env -i` (busybox, static) drops whatever the guest agent inherited, LD_PRELOAD included, before the
 * loader runs: the loader honours LD_PRELOAD even when started by path.
 */
function throughLoader(program: string, extraEnvironment: readonly string[], args: readonly string[]): DiagnosticArgv {
  return [GUEST_BUSYBOX, 'env', '-i', `HOME=${GUEST_OUTPUT_DIR}`, ...extraEnvironment, GUEST_LOADER, '--library-path', GUEST_LIBRARY_DIR, program, ...args];
}

function gdbBatch(pid: number, commands: readonly string[]): DiagnosticArgv {
  return throughLoader(GUEST_GDB, [`PYTHONHOME=${GUEST_PYTHON_HOME}`], [
    '-nx',
    '-batch',
    '--data-directory',
    GUEST_GDB_DATA_DIR,
    '-p',
    checkPid(pid),
    ...commands.flatMap((command) => ['-ex', command]),
  ]);
}

/** gdb attaches, lists the threads and prints a backtrace of every thread, then detaches (stdout). */
export function backtraceArgv(pid: number): DiagnosticArgv {
  return gdbBatch(pid, ['set pagination off', 'set width 0', 'info threads', 'thread apply all bt']);
}

/** Checks that a diagnostic output path stays a plain file name in the toolkit's output folder. */
export function outputPath(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) throw new ToolkitError(`not a plain output file name: ${name}`);
  return `${GUEST_OUTPUT_DIR}/${name}`;
}

/** gdb writes an ELF core of the running process (gcore) to the toolkit's output folder; the process goes on. */
export function coreDumpArgv(pid: number, name = `core.${checkPid(pid)}`): DiagnosticArgv {
  return gdbBatch(pid, [`gcore ${outputPath(name)}`]);
}

/** Each thread's kernel stack, from /proc/PID/task/TID/stack, read by busybox only. */
export function kernelStacksArgv(pid: number): DiagnosticArgv {
  const script = `for task in /proc/"$1"/task/*; do echo "== thread \${task##*/}"; ${GUEST_BUSYBOX} cat "$task/stack"; done`;
  return [GUEST_BUSYBOX, 'sh', '-c', script, 'civic-kernel-stacks', checkPid(pid)];
}

/**
 * strace counts the process's system calls (all threads) for `seconds`, then busybox timeout sends SIGINT
 * and strace detaches and prints its table to stderr.
 */
export function syscallSummaryArgv(pid: number, seconds: number): DiagnosticArgv {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) throw new ToolkitError(`not a duration in whole seconds (1-3600): ${seconds}`);
  return [GUEST_BUSYBOX, 'timeout', '-s', 'INT', String(seconds), ...throughLoader(GUEST_STRACE, [], ['-c', '-f', '-p', checkPid(pid)])];
}
