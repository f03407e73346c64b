import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildLocalToolkit, findCachedToolkit, type ToolkitBuilder } from '../../../../main/capture-session/local-toolkit';
import { WorkbenchFailure } from '../../../../main/errors';
import { ToolkitError } from '../../../../main/toolkit/toolkit-error';

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

describe('buildLocalToolkit', () => {
  const key = 'f'.repeat(20);
  /** A builder that "builds" into the cache folder, and records what it was asked. */
  function fakeBuilder(options: { missing?: string[]; alreadyBuilt?: boolean; fails?: boolean } = {}) {
    const calls = { checks: 0, builds: 0, collectorSource: '' };
    const builder: ToolkitBuilder = {
      checkPrerequisites: async () => {
        calls.checks += 1;
        return options.missing === undefined
          ? { ok: true }
          : { ok: false, reason: 'missing', missing: options.missing.map((name) => ({ package: name, why: 'needed' })), packages: options.missing };
      },
      build: async (build) => {
        calls.builds += 1;
        calls.collectorSource = build.collectorSource;
        if (options.fails) throw new ToolkitError('gcc -static failed with exit code 1', 'cannot find -lc');
        if (!options.alreadyBuilt) build.onBuilding();
        await cached(key);
        return { dir: join(build.cacheRoot, key), key };
      },
    };
    return { builder, calls };
  }

  it('builds on first use, says so through onBuilding, and returns the built toolkit', async () => {
    const { builder, calls } = fakeBuilder();
    const building: string[] = [];
    const toolkit = await buildLocalToolkit('/opt/civic/resources', { builder, cacheRoot: root, onBuilding: () => building.push('building') });
    expect(building).toEqual(['building']);
    expect(calls).toEqual({ checks: 1, builds: 1, collectorSource: '/opt/civic/resources/toolkit/collector/civic-collect.c' });
    expect(toolkit).toEqual({
      key,
      busyboxPath: join(root, key, 'tree', 'bin', 'busybox'),
      payloadPath: join(root, key, 'toolkit.tar.gz'),
      manifestPath: join(root, key, 'toolkit-manifest.json'),
    });
  });

  it('does not report a build when the cache already has the toolkit', async () => {
    const { builder } = fakeBuilder({ alreadyBuilt: true });
    const building: string[] = [];
    await buildLocalToolkit('/opt/civic/resources', { builder, cacheRoot: root, onBuilding: () => building.push('building') });
    expect(building).toEqual([]);
  });

  it('refuses with TOOLKIT_PREREQUISITE_MISSING naming the apt-get command, without building', async () => {
    const { builder, calls } = fakeBuilder({ missing: ['gcc', 'libc6-dev'] });
    const failure = await buildLocalToolkit('/opt/civic/resources', { builder, cacheRoot: root }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkbenchFailure);
    const { error } = failure as WorkbenchFailure;
    expect(error.code).toBe('TOOLKIT_PREREQUISITE_MISSING');
    expect(error.message).toBe('The in-guest toolkit cannot be built on this machine: gcc, libc6-dev are not installed.');
    expect(error.hint).toContain('`sudo apt-get install -y gcc libc6-dev`');
    expect(calls.builds).toBe(0);
  });

  it('uses a toolkit already cached when a prerequisite has gone since it was built', async () => {
    await cached('a'.repeat(20));
    const { builder, calls } = fakeBuilder({ missing: ['gdb'] });
    expect((await buildLocalToolkit('/opt/civic/resources', { builder, cacheRoot: root })).key).toBe('a'.repeat(20));
    expect(calls.builds).toBe(0);
  });

  it('turns a failed build into TOOLKIT_BUILD_FAILED', async () => {
    const { builder } = fakeBuilder({ fails: true });
    await expect(buildLocalToolkit('/opt/civic/resources', { builder, cacheRoot: root })).rejects.toMatchObject({ code: 'TOOLKIT_BUILD_FAILED' });
  });

  it('without the collector source (an install shipped without it) uses the cache, else says TOOLKIT_NOT_BUILT', async () => {
    const resourcesDir = join(root, 'resources-without-toolkit');
    await expect(buildLocalToolkit(resourcesDir, { cacheRoot: join(root, 'cache') })).rejects.toMatchObject({ code: 'TOOLKIT_NOT_BUILT' });
    await cached('b'.repeat(20));
    expect((await buildLocalToolkit(resourcesDir, { cacheRoot: root })).key).toBe('b'.repeat(20));
  });
});
