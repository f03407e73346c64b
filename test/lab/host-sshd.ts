import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { spawnDaemon, runCommand } from './run-command';
import { LabError } from './lab-error';

/** The unprivileged account analysts log in with; its sudo asks for a password. */
export const ANALYST_USER = 'civic-analyst';

/** The account's GECOS comment: the lab's mark, so `down` removes only an account the lab made. */
export const ANALYST_ACCOUNT_COMMENT = 'civic-lab analyst (test/lab, removed by lab down)';

const ANALYST_SUDOERS_PATH = `/etc/sudoers.d/${ANALYST_USER}`;
const ANALYST_SUDOERS_RULE = `${ANALYST_USER} ALL=(ALL:ALL) ALL\n`;

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
 * Changes the machine (user marked with {@link ANALYST_ACCOUNT_COMMENT}, /etc/sudoers.d file);
 * {@link removeAnalystUser} undoes it at `down`.
 */
/** Where the analyst's password lives: machine-wide like the account, readable by root only. */
export const ANALYST_PASSWORD_PATH = '/var/lib/civic-lab/analyst-password';

export async function ensureAnalystUser(password: string): Promise<void> {
  if ((await runCommand('id', ['-u', ANALYST_USER], { allowFailure: true })).code !== 0) {
    await runCommand('useradd', ['--create-home', '--shell', '/bin/bash', '--comment', ANALYST_ACCOUNT_COMMENT, ANALYST_USER]);
  } else if ((await analystComment()) !== ANALYST_ACCOUNT_COMMENT && (await readFile(ANALYST_SUDOERS_PATH, 'utf8').catch(() => '')) === ANALYST_SUDOERS_RULE) {
    // Made by an earlier lab version (its exact sudo rule is its mark): mark it so down removes it.
    await runCommand('usermod', ['--comment', ANALYST_ACCOUNT_COMMENT, ANALYST_USER]);
  }
  await runCommand('chpasswd', [], { input: `${ANALYST_USER}:${password}\n` });
  if (!existsSync('/usr/bin/sudo')) {
    throw new LabError('sudo is not installed', 'apt-get install -y sudo (see test/lab/apt-packages.txt)');
  }
  await writeFile(ANALYST_SUDOERS_PATH, ANALYST_SUDOERS_RULE, { mode: 0o440 });
  await runCommand('visudo', ['-c', '-f', ANALYST_SUDOERS_PATH]);
}

/**
 * Removes the analyst account and its sudo rule, when the lab made them and no other lab needs them.
 *
 * The account is machine-wide: while another lab folder's host sshd runs, it stays. An account
 * without the lab's comment, or a sudoers file with other content, is not the lab's and stays too.
 * Returns what it did, for the log.
 */
export async function removeAnalystUser(labRoot: string): Promise<string> {
  const others = await otherLabSshdConfigs(labRoot);
  if (others.length > 0) return `kept ${ANALYST_USER}: another lab's sshd still runs (${others.join(', ')})`;
  const done: string[] = [];
  const comment = await analystComment();
  if (comment === ANALYST_ACCOUNT_COMMENT) {
    const removed = await runCommand('userdel', ['--remove', ANALYST_USER], { allowFailure: true });
    // Exit 12: the home folder could not be removed entirely; the account itself is gone.
    if (removed.code !== 0 && removed.code !== 12) throw new LabError(`userdel ${ANALYST_USER} failed (exit ${removed.code})`, removed.stderr.trim());
    done.push(`removed account ${ANALYST_USER}`);
  } else if (comment !== null) {
    done.push(`kept account ${ANALYST_USER}: not marked as the lab's`);
  }
  if ((await readFile(ANALYST_SUDOERS_PATH, 'utf8').catch(() => null)) === ANALYST_SUDOERS_RULE) {
    await rm(ANALYST_SUDOERS_PATH, { force: true });
    done.push(`removed ${ANALYST_SUDOERS_PATH}`);
  }
  if (comment === ANALYST_ACCOUNT_COMMENT) {
    await rm(dirname(ANALYST_PASSWORD_PATH), { recursive: true, force: true });
    done.push(`removed ${dirname(ANALYST_PASSWORD_PATH)}`);
  }
  return done.join('; ');
}

/** The analyst account's GECOS comment, or null when there is no such account. */
async function analystComment(): Promise<string | null> {
  const entry = await runCommand('getent', ['passwd', ANALYST_USER], { allowFailure: true });
  return entry.code === 0 ? (entry.stdout.trim().split(':')[4] ?? '') : null;
}

/** Config files of running lab sshds (`-f <lab>/run/<role>_config`) that belong to another lab folder. */
async function otherLabSshdConfigs(labRoot: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const config = labSshdConfigOf(await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''));
    if (config !== null && resolve(dirname(dirname(config))) !== resolve(labRoot)) found.push(config);
  }
  return found;
}

/**
 * The `-f <lab>/run/<role>_config` of a lab sshd from its /proc cmdline, or null. OpenSSH 9 rewrites a
 * listener's title into one string (`sshd: /usr/sbin/sshd -D -f /x/run/sshd_config [listener] 0 of
 * 10-100 startups`), so the words are read from the whole line, not from argv[0].
 */
export function labSshdConfigOf(cmdline: string): string | null {
  const words = cmdline.split(/[\0\s]+/).filter(Boolean);
  if (!words.some((word) => word === '/usr/sbin/sshd' || word === 'sshd:')) return null;
  const index = words.indexOf('-f');
  const config = index >= 0 ? words[index + 1] : undefined;
  return config !== undefined && config.endsWith('_config') && config.includes('/run/') ? config : null;
}
