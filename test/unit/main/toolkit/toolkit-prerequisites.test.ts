import { describe, expect, it } from 'vitest';
import {
  TOOLKIT_PREREQUISITES,
  checkToolkitPrerequisites,
  describeMissing,
  hostProbe,
  installCommand,
  type PrerequisiteProbe,
} from '../../../../main/toolkit/toolkit-prerequisites';

const everyPackage = TOOLKIT_PREREQUISITES.map((item) => item.package);
const everyProgram = TOOLKIT_PREREQUISITES.flatMap((item) => (item.program === undefined ? [] : [item.program]));
const everyFile = TOOLKIT_PREREQUISITES.flatMap((item) => (item.file === undefined ? [] : [item.file]));

/** A machine with every prerequisite, less what is named. */
function machine(without: { packages?: string[]; programs?: string[]; files?: string[]; dpkg?: boolean } = {}): PrerequisiteProbe & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    asked,
    hasDpkg: async () => without.dpkg ?? true,
    installedPackages: async (names) => {
      asked.push([...names]);
      return new Set(names.filter((name) => everyPackage.includes(name) && !(without.packages ?? []).includes(name)));
    },
    hasProgram: async (name) => everyProgram.includes(name) && !(without.programs ?? []).includes(name),
    hasFile: async (path) => everyFile.includes(path) && !(without.files ?? []).includes(path),
  };
}

describe('checkToolkitPrerequisites', () => {
  it('passes on a machine with everything the build reads', async () => {
    const probe = machine();
    expect(await checkToolkitPrerequisites(probe)).toEqual({ ok: true });
    // One dpkg-query for all packages, each named once.
    expect(probe.asked).toEqual([[...new Set(everyPackage)]]);
  });

  it('names the packages of what is missing, once each, in the order the build needs them', async () => {
    const check = await checkToolkitPrerequisites(machine({ packages: ['strace', 'gcc'] }));
    expect(check).toMatchObject({ ok: false, reason: 'missing', packages: ['gcc', 'strace'] });
    if (check.ok || check.reason !== 'missing') throw new Error('expected missing packages');
    expect(installCommand(check.packages)).toBe('sudo apt-get install -y gcc strace');
  });

  it('finds libc6-dev missing by its static libc, even where dpkg still lists the package', async () => {
    expect(await checkToolkitPrerequisites(machine({ files: ['/usr/lib/x86_64-linux-gnu/libc.a'] }))).toMatchObject({ ok: false, packages: ['libc6-dev'] });
  });

  it('asks for busybox-static when only the dynamic busybox provides /bin/busybox', async () => {
    expect(await checkToolkitPrerequisites(machine({ packages: ['busybox-static'] }))).toMatchObject({ ok: false, packages: ['busybox-static'] });
  });

  it('finds a program gone from PATH though its package is listed', async () => {
    expect(await checkToolkitPrerequisites(machine({ programs: ['gdb'] }))).toMatchObject({ ok: false, packages: ['gdb'] });
  });

  it('says the toolkit needs Debian where there is no dpkg', async () => {
    const check = await checkToolkitPrerequisites(machine({ dpkg: false }));
    expect(check).toEqual({ ok: false, reason: 'not-debian' });
    if (!check.ok) expect(describeMissing(check)).toContain('no dpkg');
  });

  it('describes each missing package with why the build needs it', async () => {
    const check = await checkToolkitPrerequisites(machine({ packages: ['gcc'] }));
    if (check.ok) throw new Error('expected a missing prerequisite');
    expect(describeMissing(check)).toBe('the in-guest toolkit cannot be built here: gcc (compiles the collector) is missing');
  });
});

describe('hostProbe (against this machine’s dpkg-query and PATH)', () => {
  it('lists an installed package and not an unknown one', async () => {
    const installed = await hostProbe.installedPackages(['dpkg', 'civic-no-such-package']);
    expect(installed.has('dpkg')).toBe(true);
    expect(installed.has('civic-no-such-package')).toBe(false);
  });

  it('finds a program on PATH and not a made-up one', async () => {
    expect(await hostProbe.hasDpkg()).toBe(true);
    expect(await hostProbe.hasProgram('sh')).toBe(true);
    expect(await hostProbe.hasProgram('civic-no-such-program')).toBe(false);
  });
});
