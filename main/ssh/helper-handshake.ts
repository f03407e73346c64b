import { posix } from 'node:path';
import { WorkbenchFailure } from '../errors';
import { runRemoteCommand } from './remote-command';
import type { SshConnection } from './ssh-connect';

/** What the helper says about itself in reply to `hello`. */
export interface HelperHello {
  readonly version: string;
  /** The whole reply, for fields this side does not know yet. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** The helper's entry point inside its deployed folder. */
export const helperEntryPoint = 'civic-helper';

/**
 * Asks a deployed helper for its version: `python3 <dir>/civic-helper hello`, expecting one JSON
 * object on stdout with a string `version`.
 *
 * Kept apart from deployment because the helper's protocol is defined with the helper; only this
 * function needs to change when it grows.
 */
export async function helperHello(
  connection: SshConnection,
  remoteDir: string,
  expectedVersion: string,
  signal?: AbortSignal,
): Promise<HelperHello> {
  const result = await runRemoteCommand(connection, ['python3', posix.join(remoteDir, helperEntryPoint), 'hello'], {
    ...(signal === undefined ? {} : { signal }),
    maxOutputBytes: 64 * 1024,
  });
  if (result.exitCode !== 0) {
    const reason = result.stderr.toString('utf8').trim().split('\n').pop() ?? '';
    throw new WorkbenchFailure('HELPER_FAILED', `The helper on ${connection.label} did not answer hello (exit ${result.exitCode}): ${reason}`, {
      subject: connection.label,
    });
  }
  const line = result.stdout.toString('utf8').trim().split('\n')[0] ?? '';
  let reply: unknown;
  try {
    reply = JSON.parse(line);
  } catch {
    reply = undefined;
  }
  if (typeof reply !== 'object' || reply === null || typeof (reply as { version?: unknown }).version !== 'string') {
    throw new WorkbenchFailure('HELPER_FAILED', `The helper on ${connection.label} answered hello with something that is not its version.`, {
      subject: connection.label,
    });
  }
  const hello: HelperHello = { version: (reply as { version: string }).version, raw: reply as Record<string, unknown> };
  if (hello.version !== expectedVersion) {
    throw new WorkbenchFailure('HELPER_VERSION_MISMATCH', `The helper on ${connection.label} is version ${hello.version}, expected ${expectedVersion}.`, {
      subject: connection.label,
    });
  }
  return hello;
}
