import { WorkbenchFailure } from '../errors';
import { runRemoteCommand, type CommandOptions, type CommandResult } from './remote-command';
import type { SshConnection } from './ssh-connect';

/** What sudo prints when `-n` meets a rule that wants a password (or a tty to ask on). */
const passwordWanted = /a password is required|a terminal is required|no tty present|askpass/i;

/** The argv that runs a command as root: as is for root, under `sudo -n` for anyone else. */
export function privilegedArgv(user: string, argv: readonly string[]): string[] {
  return user === 'root' ? [...argv] : ['sudo', '-n', '--', ...argv];
}

/** True when sudo's stderr says it stopped because it wanted a password. */
export function isSudoPasswordRefusal(result: Pick<CommandResult, 'exitCode' | 'stderr'>): boolean {
  return result.exitCode !== 0 && passwordWanted.test(result.stderr.toString('utf8'));
}

/**
 * Runs a command as root on the host.
 *
 * `sudo -n` never prompts: a rule that wants a password fails at once, which becomes
 * SUDO_PASSWORD_REQUIRED instead of a session waiting forever for a password nobody can type.
 */
export async function runPrivileged(
  connection: SshConnection,
  user: string,
  argv: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const result = await runRemoteCommand(connection, privilegedArgv(user, argv), options);
  if (user !== 'root' && isSudoPasswordRefusal(result)) {
    throw new WorkbenchFailure('SUDO_PASSWORD_REQUIRED', `sudo on ${connection.label} wants a password for ${user}.`, {
      subject: connection.label,
    });
  }
  return result;
}
