import { posix } from 'node:path';

/** Where one detached helper run keeps its output, errors and pid on the host. */
export interface RemoteJobFiles {
  readonly folder: string;
  readonly output: string;
  readonly errors: string;
  readonly pid: string;
}

const jobIdPattern = /^[A-Za-z0-9-]{1,64}$/;

/**
 * The job files of `jobId` beside the deployed helper: `<cache>/jobs/<jobId>.jsonl|.err|.pid`.
 *
 * `helperDir` is `<home>/.cache/civic-workbench/helper/<version>`, so the jobs folder is two levels up.
 */
export function remoteJobFiles(helperDir: string, jobId: string): RemoteJobFiles {
  if (!jobIdPattern.test(jobId)) throw new TypeError(`Not a job id: ${jobId}`);
  const folder = posix.join(helperDir, '..', '..', 'jobs');
  return {
    folder,
    output: posix.join(folder, `${jobId}.jsonl`),
    errors: posix.join(folder, `${jobId}.err`),
    pid: posix.join(folder, `${jobId}.pid`),
  };
}

/**
 * Starts argv detached from the SSH session (its own session and process group, stdin from
 * /dev/null, stdout and stderr to the job files) and prints its pid once the pid file is written.
 *
 * The helper must outlive a dropped connection: a clone half done is worse than one finished, and the
 * app re-attaches by reading the output file. `exec` keeps the pid, so the pid names the group too.
 */
const launchScript = [
  'folder=$1 output=$2 errors=$3 pidfile=$4; shift 4',
  'umask 077',
  'mkdir -p "$folder" || exit 70',
  ': > "$output" || exit 70',
  'rm -f "$pidfile"',
  `setsid sh -c 'echo $$ > "$0"; exec "$@"' "$pidfile" "$@" > "$output" 2> "$errors" < /dev/null &`,
  'tries=0',
  'while [ ! -s "$pidfile" ]; do tries=$((tries+1)); [ "$tries" -gt 400 ] && exit 71; sleep 0.05; done',
  'cat "$pidfile"',
].join('\n');

/** The argv that launches `helperArgv` detached, writing to `files`. */
export function launchArgv(files: RemoteJobFiles, helperArgv: readonly string[]): string[] {
  return ['sh', '-c', launchScript, 'civic-launch', files.folder, files.output, files.errors, files.pid, ...helperArgv];
}

/**
 * Copies the output file from a byte offset to stdout as it grows, and ends once the process named
 * by the pid file is gone and everything it wrote was sent (a `tail -c +N -F` that knows when to stop).
 */
const streamScript = `
import os, sys, time
path, offset, pidpath = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = sys.stdout.buffer
def alive():
    try:
        with open(pidpath) as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        return False
    return os.path.exists("/proc/%d" % pid)
with open(path, "rb") as source:
    source.seek(offset)
    while True:
        chunk = source.read(65536)
        if chunk:
            out.write(chunk)
            out.flush()
            continue
        if not alive():
            rest = source.read()
            if rest:
                out.write(rest)
                out.flush()
            break
        time.sleep(0.1)
`;

/** The argv that streams the job's output from `offset` until the helper exits. */
export function streamArgv(files: RemoteJobFiles, offset: number): string[] {
  return ['python3', '-c', streamScript, files.output, String(offset), files.pid];
}

/** The argv that sends `signalName` to the helper's whole process group. */
export function signalArgv(pid: number, signalName: 'TERM' | 'KILL'): string[] {
  return ['sh', '-c', 'kill -"$1" -- -"$2" 2>/dev/null || kill -"$1" "$2" 2>/dev/null', 'civic-signal', signalName, String(pid)];
}

/** The argv that prints the last lines of the helper's stderr (for a run that died without a final line). */
export function errorTailArgv(files: RemoteJobFiles): string[] {
  return ['tail', '-c', '2000', files.errors];
}

/** The argv that removes the job's files once its final line is in. */
export function removeArgv(files: RemoteJobFiles): string[] {
  return ['rm', '-f', '--', files.output, files.errors, files.pid];
}
