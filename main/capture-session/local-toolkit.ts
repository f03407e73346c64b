import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { collectorSourceIn } from '../toolkit/compile-collector';
import { checkToolkitPrerequisites, installCommand, type PrerequisiteCheck } from '../toolkit/toolkit-prerequisites';
import { ToolkitError } from '../toolkit/toolkit-error';
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

/** What {@link buildLocalToolkit} needs from the toolkit's build code (`main/toolkit/`); tests give fakes. */
export interface ToolkitBuilder {
  /** Whether this machine has what the build reads (fast; no build). */
  checkPrerequisites(): Promise<PrerequisiteCheck>;
  /** The cached toolkit for the current packages and sources, built first when missing. */
  build(options: { readonly cacheRoot: string; readonly collectorSource: string; readonly onBuilding: () => void; readonly log: (line: string) => void }): Promise<{ readonly dir: string; readonly key: string }>;
}

/** Options of {@link buildLocalToolkit}. */
export interface LocalToolkitOptions {
  /** Called when no toolkit is cached for this machine's packages and sources and one is built now (first use). */
  readonly onBuilding?: () => void;
  /** Default: the build code in `main/toolkit/`, loaded on first use. */
  readonly builder?: ToolkitBuilder;
  /** Default: env CIVIC_TOOLKIT_CACHE_DIR, else `.cache/toolkit` beside `resourcesDir`. */
  readonly cacheRoot?: string;
}

/** The job step shown while the toolkit is built on first use. */
export const buildingToolkitStep = 'Building the in-guest toolkit (first use)';

/**
 * Loads the build code, or returns null where it cannot run (an install shipped without the collector's
 * C source, which the build compiles). Lazily: only captures that reach into a guest need it.
 */
async function loadBuilder(collectorSource: string): Promise<ToolkitBuilder | null> {
  try {
    await stat(collectorSource);
  } catch (error) {
    log.info(`toolkit collector source unavailable at ${collectorSource} (${error instanceof Error ? error.message : String(error)})`);
    return null;
  }
  const { buildToolkit } = await import('../toolkit/build-toolkit');
  return { checkPrerequisites: () => checkToolkitPrerequisites(), build: (options) => buildToolkit(options) };
}

/** The message of a failed prerequisite check, and its hint naming what to install. */
export function prerequisiteFailure(check: Exclude<PrerequisiteCheck, { ok: true }>): WorkbenchFailure {
  if (check.reason === 'not-debian') {
    return new WorkbenchFailure('TOOLKIT_PREREQUISITE_MISSING', 'The in-guest toolkit cannot be built on this machine: it has no dpkg.', {
      hint: 'The toolkit is built from Debian packages: run the app on Debian 12 or newer (x86-64), or copy a built toolkit into its cache folder.',
    });
  }
  const names = check.packages.join(', ');
  return new WorkbenchFailure('TOOLKIT_PREREQUISITE_MISSING', `The in-guest toolkit cannot be built on this machine: ${names} ${check.packages.length === 1 ? 'is' : 'are'} not installed.`, {
    subject: names,
    hint: `Install ${check.packages.length === 1 ? 'it' : 'them'} with \`${installCommand(check.packages)}\` (or run \`bash bin/setup\`), then start the capture again. Nothing was done on the host.`,
  });
}

/**
 * The toolkit built on this machine (a cache hit after the first build), as the capture uploads it.
 *
 * First checks what the build needs, so a capture can stop before it touches a host and say which
 * Debian packages to install; then builds on first use, calling `onBuilding` so the job can say so.
 * Where the build cannot run (no collector source, or a prerequisite missing), the newest toolkit already in
 * the cache is used when there is one.
 */
export async function buildLocalToolkit(resourcesDir: string, options: LocalToolkitOptions = {}): Promise<LocalToolkit> {
  const cacheRoot = options.cacheRoot ?? process.env['CIVIC_TOOLKIT_CACHE_DIR'] ?? join(resourcesDir, '..', '.cache', 'toolkit');
  const collectorSource = collectorSourceIn(resourcesDir);
  const builder = options.builder ?? (await loadBuilder(collectorSource));
  if (builder === null) {
    const cached = await findCachedToolkit(cacheRoot);
    if (cached !== null) {
      log.info(`toolkit collector source not shipped here; using cached ${cached.key}`);
      return cached;
    }
    throw new WorkbenchFailure('TOOLKIT_NOT_BUILT', `The in-guest toolkit is not built on this machine, and this install cannot build it (no ${collectorSource}).`, { subject: cacheRoot });
  }
  const check = await builder.checkPrerequisites();
  if (!check.ok) {
    const cached = await findCachedToolkit(cacheRoot);
    if (cached !== null) {
      log.warn(`toolkit cannot be rebuilt here (${check.reason === 'missing' ? check.packages.join(', ') : 'no dpkg'}); using cached ${cached.key}`);
      return cached;
    }
    throw prerequisiteFailure(check);
  }
  try {
    const build = await builder.build({ cacheRoot, collectorSource, onBuilding: () => options.onBuilding?.(), log: (line) => log.info(line) });
    return toolkitIn(build.dir, build.key);
  } catch (error) {
    const detail = error instanceof ToolkitError ? `${error.message}${error.hint ? `: ${error.hint}` : ''}` : error instanceof Error ? error.message : String(error);
    log.error(`toolkit build failed: ${detail}`);
    throw new WorkbenchFailure('TOOLKIT_BUILD_FAILED', 'Building the in-guest toolkit on this machine failed.', { cause: error, subject: cacheRoot });
  }
}
