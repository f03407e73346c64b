import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HELPER = join(__dirname, '..', '..', 'resources', 'helper', 'civic-helper');

/** Runs one helper verb to its end and returns its result payload; an error line throws with its message. */
export async function helperVerb(
  verb: string,
  args: Record<string, unknown>,
  options: { readonly root: string; readonly qmpDir?: string; readonly env?: NodeJS.ProcessEnv },
): Promise<Record<string, unknown>> {
  const argv = [verb, '--root', options.root, ...(options.qmpDir === undefined ? [] : ['--qmp-dir', options.qmpDir]), '--json-args', JSON.stringify(args)];
  const { stdout } = await run(HELPER, argv, { maxBuffer: 64 * 1024 * 1024, timeout: 600_000, ...(options.env === undefined ? {} : { env: options.env }) });
  const last = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { type?: string; payload?: Record<string, unknown>; message?: string };
  if (last.type !== 'result' || last.payload === undefined) throw new Error(`civic-helper ${verb} failed: ${last.message ?? stdout.slice(-500)}`);
  return last.payload;
}
