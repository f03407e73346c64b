import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkbenchFailure } from '../errors';
import { createLogger } from '../logging/logger';
import type { LocalToolkit } from './host-toolkit';

const log = createLogger('capture');

function toolkitIn(dir: string, key: string): LocalToolkit {
  return { key, busyboxPath: join(dir, 'tree', 'bin', 'busybox'), payloadPath: join(dir, 'toolkit.tar.gz'), manifestPath: join(dir, 'toolkit-manifest.json') };
}

/** The newest complete toolkit in a cache folder (`<key>/` with its manifest, tarball and busybox), if any. */
export async function findCachedToolkit(cacheRoot: string): Promise<LocalToolkit | null> {
  let names: string[];
  try {
    names = await readdir(cacheRoot);
  } catch {
    return null;
  }
  const found: { toolkit: LocalToolkit; at: number }[] = [];
  for (const name of names.filter((entry) => /^[0-9a-f]{20}$/.test(entry))) {
    const toolkit = toolkitIn(join(cacheRoot, name), name);
    try {
      const manifest = JSON.parse(await readFile(toolkit.manifestPath, 'utf8')) as { key?: unknown };
      if (manifest.key !== name) continue;
      await stat(toolkit.busyboxPath);
      found.push({ toolkit, at: (await stat(toolkit.payloadPath)).mtimeMs });
    } catch {
      continue;
    }
  }
  found.sort((a, b) => b.at - a.at);
  return found[0]?.toolkit ?? null;
}

/**
 * The toolkit built on this machine (a cache hit after the first build), as the capture uploads it.
 *
 * Loaded lazily: building needs gcc, gdb and busybox-static here, and only captures that reach into a
 * guest need it. Where the build code cannot run (a bundled app without the toolkit sources), the
 * newest toolkit already in the cache (`CIVIC_TOOLKIT_CACHE_DIR`, else `.cache/toolkit` beside
 * `resourcesDir`) is used.
 */
export async function buildLocalToolkit(resourcesDir: string): Promise<LocalToolkit> {
  try {
    const { buildToolkit } = await import('../../resources/toolkit/build-toolkit');
    const build = await buildToolkit();
    return toolkitIn(build.dir, build.key);
  } catch (error) {
    const cacheRoot = process.env['CIVIC_TOOLKIT_CACHE_DIR'] ?? join(resourcesDir, '..', '.cache', 'toolkit');
    const cached = await findCachedToolkit(cacheRoot);
    if (cached !== null) {
      log.warn(`toolkit build unavailable here (${error instanceof Error ? error.message : String(error)}); using cached ${cached.key}`);
      return cached;
    }
    throw new WorkbenchFailure('NOT_FOUND', 'The in-guest toolkit is not built on this machine.', {
      hint: 'Build it with `npm run toolkit` (needs gcc, gdb, strace and busybox-static), then start the capture again.',
      cause: error,
    });
  }
}
