/**
 * What building the in-guest toolkit needs on this machine, checked in well under a second so a capture can
 * refuse before it touches a host, naming the Debian packages to install.
 */
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { runHostCommand } from './host-command';

/** One thing the build reads from this machine, and the Debian package that provides it. */
export interface ToolkitPrerequisite {
  /** The Debian package to install when it is missing. */
  readonly package: string;
  /** A program the build runs, looked up on PATH. */
  readonly program?: string;
  /** A file the build copies or links against. */
  readonly file?: string;
  /** Why the build needs it, for the message. */
  readonly why: string;
}

/**
 * Everything `build-toolkit.ts` reads: the packages whose versions make the key and whose files it copies,
 * and the programs it runs.
 */
export const TOOLKIT_PREREQUISITES: readonly ToolkitPrerequisite[] = [
  { package: 'gcc', program: 'gcc', why: 'compiles the collector' },
  { package: 'libc6-dev', file: '/usr/lib/x86_64-linux-gnu/libc.a', why: 'links the collector statically' },
  { package: 'busybox-static', file: '/bin/busybox', why: "the toolkit's static busybox" },
  { package: 'gdb', program: 'gdb', why: 'copied into the toolkit' },
  { package: 'strace', program: 'strace', why: 'copied into the toolkit' },
  { package: 'prometheus-node-exporter', program: 'prometheus-node-exporter', why: 'copied into the toolkit (the monitoring agent twins run)' },
  { package: 'libc-bin', program: 'ldd', why: "lists gdb's and strace's libraries" },
  { package: 'tar', program: 'tar', why: 'packs the toolkit' },
  { package: 'gzip', program: 'gzip', why: 'compresses the toolkit' },
];

/** How the check looks at this machine; tests give fakes. */
export interface PrerequisiteProbe {
  /** Whether dpkg's database can be asked at all (false off Debian). */
  hasDpkg(): Promise<boolean>;
  /** Which of these packages dpkg lists as installed. */
  installedPackages(names: readonly string[]): Promise<ReadonlySet<string>>;
  /** Whether a program of this name is on PATH and executable. */
  hasProgram(name: string): Promise<boolean>;
  /** Whether a file exists. */
  hasFile(path: string): Promise<boolean>;
}

/** The outcome of {@link checkToolkitPrerequisites}. */
export type PrerequisiteCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'not-debian' }
  | { readonly ok: false; readonly reason: 'missing'; readonly missing: readonly ToolkitPrerequisite[]; readonly packages: readonly string[] };

/**
 * Finds what the toolkit build would miss on this machine.
 *
 * A prerequisite is missing when its package is not installed or its program or file is absent (a package
 * half removed, or `busybox` installed instead of `busybox-static`, which leaves /bin/busybox dynamic and the
 * package check failing).
 */
export async function checkToolkitPrerequisites(probe: PrerequisiteProbe = hostProbe, wanted: readonly ToolkitPrerequisite[] = TOOLKIT_PREREQUISITES): Promise<PrerequisiteCheck> {
  if (!(await probe.hasDpkg())) return { ok: false, reason: 'not-debian' };
  const installed = await probe.installedPackages([...new Set(wanted.map((item) => item.package))]);
  const missing: ToolkitPrerequisite[] = [];
  for (const item of wanted) {
    const present =
      installed.has(item.package) &&
      (item.program === undefined || (await probe.hasProgram(item.program))) &&
      (item.file === undefined || (await probe.hasFile(item.file)));
    if (!present) missing.push(item);
  }
  if (missing.length === 0) return { ok: true };
  return { ok: false, reason: 'missing', missing, packages: [...new Set(missing.map((item) => item.package))] };
}

/** The command that installs the missing packages, as the message shows it. */
export function installCommand(packages: readonly string[]): string {
  return `sudo apt-get install -y ${packages.join(' ')}`;
}

/** One sentence naming what is missing and why, for messages and the CLI. */
export function describeMissing(check: Exclude<PrerequisiteCheck, { ok: true }>): string {
  if (check.reason === 'not-debian') return 'the in-guest toolkit is built from Debian packages, and this machine has no dpkg (Debian 12 or newer, x86-64, is needed)';
  return `the in-guest toolkit cannot be built here: ${check.missing.map((item) => `${item.package} (${item.why})`).join(', ')} ${check.missing.length === 1 ? 'is' : 'are'} missing`;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(name: string): Promise<boolean> {
  for (const folder of (process.env['PATH'] ?? '').split(delimiter)) if (folder !== '' && (await isExecutable(join(folder, name)))) return true;
  return false;
}

/** The real machine: dpkg-query, PATH and the file system. */
export const hostProbe: PrerequisiteProbe = {
  hasDpkg: () => onPath('dpkg-query'),
  installedPackages: async (names) => {
    // dpkg-query exits 1 when a name is unknown to it; the lines for the others are still printed.
    const { stdout } = await runHostCommand('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Status}\n', ...names], { allowFailure: true });
    const installed = new Set<string>();
    for (const line of stdout.toString('utf8').split('\n')) {
      const [name, status] = line.split(' ');
      if (name !== undefined && status === 'installed') installed.add(name.replace(/:.*$/, ''));
    }
    return installed;
  },
  hasProgram: onPath,
  hasFile: async (path) => {
    try {
      await access(path, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  },
};
