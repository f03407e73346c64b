import type { CliIo } from '../../../../../main/cli/commands/cli-io';

/** A CliIo that keeps what a command printed, for assertions. */
export function captureIo(): CliIo & { stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return { out: (text) => out.push(text), err: (text) => err.push(text), stdout: () => out.join(''), stderr: () => err.join('') };
}
