import { spawn } from 'node:child_process';
import { ToolkitError } from './toolkit-error';

/** Output of a host program run by {@link runHostCommand}. */
export interface HostCommandResult {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly code: number;
}

/** Runs a host program with an argument vector (never a shell); throws on a non-zero exit unless allowed. */
export function runHostCommand(
  file: string,
  args: readonly string[],
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv; readonly allowFailure?: boolean } = {},
): Promise<HostCommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => reject(new ToolkitError(`cannot run ${file}: ${error.message}`)));
    child.on('close', (code, signal) => {
      const result = { stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8'), code: code ?? 128 };
      if (result.code !== 0 && !options.allowFailure) {
        const how = signal ? `signal ${signal}` : `exit code ${result.code}`;
        reject(new ToolkitError(`${file} ${args.join(' ')} failed with ${how}`, result.stderr.trim().slice(-2000)));
        return;
      }
      resolve(result);
    });
  });
}
