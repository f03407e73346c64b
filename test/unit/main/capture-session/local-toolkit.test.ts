import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findCachedToolkit } from '../../../../main/capture-session/local-toolkit';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'civic-toolkit-cache-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function cached(key: string, options: { manifestKey?: string; busybox?: boolean; mtime?: number } = {}): Promise<void> {
  const dir = join(root, key);
  await mkdir(join(dir, 'tree', 'bin'), { recursive: true });
  await writeFile(join(dir, 'toolkit-manifest.json'), JSON.stringify({ key: options.manifestKey ?? key }));
  await writeFile(join(dir, 'toolkit.tar.gz'), 'tarball');
  if (options.busybox ?? true) await writeFile(join(dir, 'tree', 'bin', 'busybox'), 'busybox');
  if (options.mtime !== undefined) await utimes(join(dir, 'toolkit.tar.gz'), options.mtime, options.mtime);
}

describe('findCachedToolkit', () => {
  it('takes the newest complete toolkit whose manifest names its own folder', async () => {
    await cached('a'.repeat(20), { mtime: 1_000 });
    await cached('b'.repeat(20), { mtime: 2_000 });
    await cached('c'.repeat(20), { mtime: 3_000, busybox: false });
    await cached('d'.repeat(20), { mtime: 4_000, manifestKey: 'e'.repeat(20) });
    await mkdir(join(root, 'not-a-key'));
    expect(await findCachedToolkit(root)).toEqual({
      key: 'b'.repeat(20),
      busyboxPath: join(root, 'b'.repeat(20), 'tree', 'bin', 'busybox'),
      payloadPath: join(root, 'b'.repeat(20), 'toolkit.tar.gz'),
      manifestPath: join(root, 'b'.repeat(20), 'toolkit-manifest.json'),
    });
  });

  it('finds nothing in a missing or empty cache', async () => {
    expect(await findCachedToolkit(join(root, 'missing'))).toBeNull();
    expect(await findCachedToolkit(root)).toBeNull();
  });
});
