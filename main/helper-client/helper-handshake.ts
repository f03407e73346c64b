import { WorkbenchFailure } from '../errors';
import { runRemoteCommand } from '../ssh/remote-command';
import type { SshConnection } from '../ssh/ssh-connect';
import { helperEntryPath } from './helper-deploy';
import { parseHelperHello, type HelperHello } from './helper-messages';

/** The versions this app can drive. */
export interface ExpectedHelper {
  readonly helperVersion: string;
  readonly protocolVersion: number;
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
  const result = await runRemoteCommand(connection, ['python3', helperEntryPath(remoteDir), 'hello'], {
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
