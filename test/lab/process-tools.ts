import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/** A process the lab started, identified by PID and kernel start time so a reused PID is never killed. */
export interface LabProcess {
  readonly role: string;
  readonly pid: number;
  readonly startTime: string;
}

/** Reads field 22 of /proc/PID/stat (start time in clock ticks), or null when the process is gone. */
export async function readStartTime(pid: number): Promise<string | null> {
  const stat = await readProcStat(pid);
  return stat ? (stat.fields[19] ?? null) : null;
}

/** Describes a running process for the lab state. */
export async function describeProcess(role: string, pid: number): Promise<LabProcess> {
  const startTime = (await readStartTime(pid)) ?? '';
  return { role, pid, startTime };
}

/** True when the recorded process still runs (not a zombie) and is the same process that was recorded. */
export async function isProcessAlive(process: LabProcess): Promise<boolean> {
  const stat = await readProcStat(process.pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return process.startTime === '' || stat.fields[19] === process.startTime;
}

/** Resident set size of a process in bytes, or null when it is gone. */
export async function readRssBytes(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Stops a recorded process: SIGTERM, then SIGKILL when it has not exited by the deadline.
 *
 * Resolves once the process is gone. A PID that now belongs to another program is left alone.
 */
export async function stopProcess(target: LabProcess, graceMs = 5000): Promise<void> {
  if (!(await isProcessAlive(target))) return;
  signal(target.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!(await isProcessAlive(target))) return;
    await delay(50);
  }
  signal(target.pid, 'SIGKILL');
  while (await isProcessAlive(target)) {
    await delay(50);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone between the check and the signal.
  }
}

interface ProcStat {
  readonly state: string;
  /** Fields after the command name: index 0 is the state (field 3). */
  readonly fields: readonly string[];
}

async function readProcStat(pid: number): Promise<ProcStat | null> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name may contain spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
  return { state: fields[0] ?? '', fields };
}
