import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configDiff } from '../../../../main/twin/config-diff';
import { setParameter } from '../../../../main/twin/config-edit';

const REPOSITORY = join(__dirname, '..', '..', '..', '..');
const CIVIC_WEB = readFileSync(join(REPOSITORY, 'test', 'lab', 'guest', 'civic-web.conf'), 'utf8');

/** GNU patch, the oracle: it must turn the original into the new file from our diff alone. */
const PATCH_AVAILABLE = spawnSync('patch', ['--version'], { encoding: 'utf8' }).stdout?.includes('GNU patch') === true;
if (!PATCH_AVAILABLE) console.warn('config-diff: GNU patch is not installed (apt-get install -y patch); the patch oracle tests are skipped.');

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** Writes `original` at `path` under a fresh root, applies `diff` there with `patch -p1`, returns the file. */
function applyWithPatch(path: string, original: string, diff: string): string {
  const root = mkdtempSync(join(tmpdir(), 'civic-config-diff-'));
  folders.push(root);
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, original);
  execFileSync('patch', ['-p1', '--batch', '--forward', '--no-backup-if-mismatch'], { cwd: root, input: diff, stdio: ['pipe', 'pipe', 'pipe'] });
  return readFileSync(file, 'utf8');
}

describe('configDiff', () => {
  it('names the files a/ and b/ without the leading slash and shows only the changed line with 3 of context', () => {
    const updated = setParameter(CIVIC_WEB, 'key-equals-value', { key: 'workers' }, '4').text;
    expect(configDiff('/etc/civic-web.conf', CIVIC_WEB, updated)).toBe(
      [
        '--- a/etc/civic-web.conf',
        '+++ b/etc/civic-web.conf',
        '@@ -2,7 +2,7 @@',
        ' # Reload after a change: civic-web-ctl reload (the file is checked first).',
        ' ',
        ' # Pre-forked worker processes (1..64); each serves one connection at a time.',
        '-workers = 2',
        '+workers = 4',
        ' ',
        ' # Milliseconds each request waits, as a call to a backend would (0..60000).',
        ' backend_ms = 20',
        '',
      ].join('\n'),
    );
  });

  it('is empty when nothing changed', () => {
    expect(configDiff('/etc/civic-web.conf', CIVIC_WEB, CIVIC_WEB)).toBe('');
  });

  describe.skipIf(!PATCH_AVAILABLE)('applied by GNU patch -p1', () => {
    const cases: { name: string; path: string; original: string; updated: string }[] = [
      { name: 'a changed value', path: 'etc/civic-web.conf', original: CIVIC_WEB, updated: setParameter(CIVIC_WEB, 'key-equals-value', { key: 'workers' }, '8').text },
      { name: 'an appended line', path: '/etc/civic-web.conf', original: CIVIC_WEB, updated: setParameter(CIVIC_WEB, 'key-equals-value', { key: 'max_body' }, '64').text },
      { name: 'a file without a final newline', path: '/etc/x.conf', original: 'a = 1\nb = 2', updated: 'a = 1\nb = 3' },
      { name: 'a newline added at the end', path: '/etc/x.conf', original: 'a = 1', updated: 'a = 1\nb = 2\n' },
      { name: 'CRLF line endings', path: '/etc/x.conf', original: 'a = 1\r\nb = 2\r\n', updated: setParameter('a = 1\r\nb = 2\r\n', 'key-equals-value', { key: 'b' }, '9').text },
      {
        name: 'an nginx block edit',
        path: '/etc/nginx/nginx.conf',
        original: 'worker_processes auto;\n\nevents {\n\tworker_connections 768;\n}\n',
        updated: setParameter('worker_processes auto;\n\nevents {\n\tworker_connections 768;\n}\n', 'nginx', { key: 'worker_connections', context: ['events'] }, '2048').text,
      },
    ];
    for (const { name, path, original, updated } of cases) {
      it(`yields the new file for ${name}`, () => {
        expect(applyWithPatch(path.replace(/^\/+/, ''), original, configDiff(path, original, updated))).toBe(updated);
      });
    }
  });
});
