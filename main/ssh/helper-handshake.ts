import { posix } from 'node:path';
import { WorkbenchFailure } from '../errors';
import { runRemoteCommand } from './remote-command';
import type { SshConnection } from './ssh-connect';

/** What the helper says about itself in the first line of every run. */
export interface HelperHello {
  readonly helperVersion: string;
  readonly protocolVersion: number;
  readonly capabilities: readonly string[];
}

/** The versions this app can drive. */
export interface ExpectedHelper {
  readonly helperVersion: string;
  readonly protocolVersion: number;
}

/** The helper's entry point inside its deployed folder. */
export const helperEntryPoint = 'civic-helper';

/**
 * Reads the hello line: `{"type":"hello","protocolVersion":N,"helperVersion":"x","capabilities":[...]}`.
 *
 * Returns null for anything else, so a stray line cannot pass for a helper.
 */
export function parseHelperHello(line: string): HelperHello | null {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof message !== 'object' || message === null) return null;
  const fields = message as Record<string, unknown>;
  if (fields['type'] !== 'hello' || typeof fields['helperVersion'] !== 'string' || typeof fields['protocolVersion'] !== 'number') return null;
  const capabilities = Array.isArray(fields['capabilities']) ? fields['capabilities'].filter((item): item is string => typeof item === 'string') : [];
  return { helperVersion: fields['helperVersion'], protocolVersion: fields['protocolVersion'], capabilities };
}

/**
 * Asks a deployed helper who it is: `python3 <dir>/civic-helper hello`, reading its first stdout line.
 *
 * The helper writes its hello line before it looks at its arguments, so the line is there whatever
 * it then says about the verb; the exit status is not used. Kept apart from deployment because the
 * helper's protocol is defined with the helper: only this function follows it.
 */
export async function helperHello(
  connection: SshConnection,
  remoteDir: string,
  expected: ExpectedHelper,
  signal?: AbortSignal,
): Promise<HelperHello> {
  const result = await runRemoteCommand(connection, ['python3', posix.join(remoteDir, helperEntryPoint), 'hello'], {
    ...(signal === undefined ? {} : { signal }),
    maxOutputBytes: 64 * 1024,
  });
  const hello = parseHelperHello(result.stdout.toString('utf8').split('\n')[0] ?? '');
  if (hello === null) {
    const reason = result.stderr.toString('utf8').trim().split('\n').pop() ?? '';
    throw new WorkbenchFailure('HELPER_FAILED', `The helper on ${connection.label} did not say hello (exit ${result.exitCode ?? result.signal}): ${reason}`, {
      subject: connection.label,
    });
  }
  if (hello.protocolVersion !== expected.protocolVersion || hello.helperVersion !== expected.helperVersion) {
    throw new WorkbenchFailure(
      'HELPER_VERSION_MISMATCH',
      `The helper on ${connection.label} is version ${hello.helperVersion} (protocol ${hello.protocolVersion}); this app needs ${expected.helperVersion} (protocol ${expected.protocolVersion}).`,
      { subject: connection.label },
    );
  }
  return hello;
}
