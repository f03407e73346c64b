import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnDaemon, runCommand } from './run-command';
import { LabError } from './lab-error';

/** The unprivileged account analysts log in with; its sudo asks for a password. */
export const ANALYST_USER = 'civic-analyst';

/** What one hand-started sshd needs. */
export interface HostSshdLaunch {
  /** `sshd` or `jump`: names its config, log and PID files. */
  readonly role: string;
  readonly port: number;
  readonly hostKeyPath: string;
  /** Folder holding one authorized_keys file per user name. */
  readonly authorizedKeysDir: string;
  readonly runDir: string;
  readonly logDir: string;
}

/** The sshd_config text for a lab sshd: 127.0.0.1 only, keys only, no PAM (no systemd/logind here). */
export function sshdConfigText(launch: HostSshdLaunch): string {
  return [
    `Port ${launch.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${launch.hostKeyPath}`,
    `PidFile ${join(launch.runDir, `${launch.role}.pid`)}`,
    `AuthorizedKeysFile ${join(launch.authorizedKeysDir, '%u')}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'UseDNS no',
    'AllowTcpForwarding yes',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

/** Starts sshd in the foreground (-D) as a detached child so its PID is known; returns the PID. */
export async function startHostSshd(launch: HostSshdLaunch): Promise<number> {
  // sshd refuses to start without its privilege-separation folder.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const configPath = join(launch.runDir, `${launch.role}_config`);
  await writeFile(configPath, sshdConfigText(launch), { mode: 0o600 });
  const logPath = join(launch.logDir, `${launch.role}.log`);
  await runCommand('/usr/sbin/sshd', ['-t', '-f', configPath]);
  return spawnDaemon('/usr/sbin/sshd', ['-D', '-f', configPath, '-E', logPath], join(launch.logDir, `${launch.role}.stdout.log`));
}

/**
 * Makes sure the analyst account exists with the given password and a sudo rule that asks for it.
 *
 * Changes the machine (user, /etc/sudoers.d file); `down` leaves them, as they hold nothing of the run.
 */
export async function ensureAnalystUser(password: string): Promise<void> {
  if ((await runCommand('id', ['-u', ANALYST_USER], { allowFailure: true })).code !== 0) {
    await runCommand('useradd', ['--create-home', '--shell', '/bin/bash', ANALYST_USER]);
  }
  await runCommand('chpasswd', [], { input: `${ANALYST_USER}:${password}\n` });
  if (!existsSync('/usr/bin/sudo')) {
    throw new LabError('sudo is not installed', 'apt-get install -y sudo (see test/lab/apt-packages.txt)');
  }
  const rulePath = `/etc/sudoers.d/${ANALYST_USER}`;
  const rule = `${ANALYST_USER} ALL=(ALL:ALL) ALL\n`;
  await writeFile(rulePath, rule, { mode: 0o440 });
  await runCommand('visudo', ['-c', '-f', rulePath]);
}
