import { describe, expect, it } from 'vitest';
import { bootstrapPathFor, GUEST_CHMOD, injectionSteps, removalSteps, unconfirmedFiles } from '../../../../main/toolkit/injection-plan';
import type { ToolkitManifest } from '../../../../main/toolkit/toolkit-manifest';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
const manifest: ToolkitManifest = {
  schemaVersion: 1,
  key: '0123456789abcdef0123',
  guestDir: '/run/civic',
  packages: [],
  files: [
    { path: 'bin/busybox', size: 1, mode: 0o755, sha256: HASH_A },
    { path: 'lib/libc.so.6', size: 1, mode: 0o644, sha256: HASH_B },
  ],
  totalBytes: 2,
};
const BOOTSTRAP = bootstrapPathFor('00112233aabb');

describe('injectionSteps', () => {
  const steps = injectionSteps(manifest, BOOTSTRAP);

  it('uploads busybox, checks it on the host before running it, and verifies every file last', () => {
    expect(steps.map((step) => step.kind)).toEqual(['put', 'exec', 'check-file', 'exec', 'put', 'exec', 'exec', 'check-hashes']);
    expect(steps[0]).toEqual({ kind: 'put', source: 'busybox', guestPath: '/run/busybox.civic-00112233aabb' });
    expect(steps[2]).toEqual({ kind: 'check-file', guestPath: BOOTSTRAP, sha256: HASH_A });
    expect(steps[7]).toMatchObject({
      argv: ['/run/civic/bin/busybox', 'sha256sum', '/run/civic/bin/busybox', '/run/civic/lib/libc.so.6'],
      expected: [
        { guestPath: '/run/civic/bin/busybox', sha256: HASH_A },
        { guestPath: '/run/civic/lib/libc.so.6', sha256: HASH_B },
      ],
    });
  });

  it('runs no guest program but chmod, and only before the check', () => {
    const programs = steps.flatMap((step) => (step.kind === 'exec' || step.kind === 'check-hashes' ? [step.argv[0]] : []));
    expect(programs).toEqual([GUEST_CHMOD, BOOTSTRAP, BOOTSTRAP, BOOTSTRAP, '/run/civic/bin/busybox']);
  });

  it('calls every applet of its scripts through our busybox ("$1"), never through PATH', () => {
    for (const step of [...steps, ...removalSteps(BOOTSTRAP)]) {
      if (step.kind !== 'exec' || step.argv[1] !== 'sh') continue;
      const script = step.argv[3] ?? '';
      const commands = script.split(/\n|;|\bthen\b|\bif\b|\|\|/).map((part) => part.trim()).filter((part) => part && !['fi', 'true', 'set -e'].includes(part));
      for (const command of commands) expect(command, script).toMatch(/^"\$1" /);
      expect(step.argv.slice(-2)).toEqual([BOOTSTRAP, '/run/civic']);
    }
  });

  it('refuses a manifest without busybox and a bootstrap name that is not hex', () => {
    expect(() => injectionSteps({ ...manifest, files: manifest.files.slice(1) }, BOOTSTRAP)).toThrow(/no bin\/busybox/);
    expect(() => bootstrapPathFor('../../x')).toThrow(/must be hex/);
  });
});

describe('unconfirmedFiles', () => {
  const expected = [
    { guestPath: '/run/civic/a', sha256: HASH_A },
    { guestPath: '/run/civic/b c', sha256: HASH_B },
  ];

  it('confirms files whose sha256sum line matches, including names with spaces', () => {
    expect(unconfirmedFiles(`${HASH_A}  /run/civic/a\n${HASH_B}  /run/civic/b c\n`, expected)).toEqual([]);
  });

  it('names missing files and wrong hashes', () => {
    expect(unconfirmedFiles(`${HASH_B}  /run/civic/a\nsha256sum: /run/civic/b c: No such file\n`, expected)).toEqual(['/run/civic/a', '/run/civic/b c']);
  });
});
