import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

/** The machine a benchmark ran on, as BENCHMARKS.md names it. */
export interface MachineFacts {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly qemu: string;
  readonly kvm: string;
  readonly os: string;
}

function firstLine(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]?.trim() ?? '';
  } catch {
    return 'not installed';
  }
}

/** Reads the facts of this machine. */
export function machineFacts(): MachineFacts {
  const osRelease = firstLine('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']);
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    qemu: firstLine('qemu-system-x86_64', ['--version']),
    // The lab runs under TCG unless KVM really boots a guest; say which.
    kvm: process.env['CIVIC_ACCEL'] ?? 'tcg',
    os: osRelease,
  };
}
