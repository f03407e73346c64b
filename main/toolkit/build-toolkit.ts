/**
 * Assembles the in-guest toolkit into `.cache/toolkit/<key>/` (run: `npm run toolkit`, which is
 * `tsx main/toolkit/build-toolkit.ts`; the app calls {@link buildToolkit} on first use).
 *
 * The key is a SHA-256 over the Debian package versions every file comes from, {@link TOOLKIT_RECIPE_VERSION},
 * the collector's C source and the toolkit plan's layout, so a package upgrade or a recipe change builds a new
 * toolkit and an unchanged machine reuses the cached one. It reads no TypeScript source at run time, which a
 * bundled app does not have.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, copyFile, cp, mkdir, readFile, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COLLECTOR_SOURCE, compileCollector } from './compile-collector';
import { runHostCommand } from './host-command';
import { GUEST_TOOLKIT_DIR, TOOLKIT_MANIFEST_NAME, TOOLKIT_PAYLOAD_NAME } from './toolkit-layout';
import { TOOLKIT_PLAN } from './toolkit-plan';
import { toolkitManifestSchema, type ToolkitFile, type ToolkitManifest } from './toolkit-manifest';
import { ToolkitError } from './toolkit-error';
import { checkToolkitPrerequisites, describeMissing, installCommand } from './toolkit-prerequisites';

const MODULE_PATH = fileURLToPath(import.meta.url);

/** The toolkit's default cache folder: env CIVIC_TOOLKIT_CACHE_DIR, else `.cache/toolkit/` in the repository. */
export const DEFAULT_TOOLKIT_CACHE = resolve(process.env.CIVIC_TOOLKIT_CACHE_DIR ?? join(dirname(MODULE_PATH), '..', '..', '.cache', 'toolkit'));

/**
 * The version of how a toolkit is assembled, part of the cache key. Bump it with any change to what the
 * build puts into the toolkit or how (this file, compile-collector.ts, toolkit-layout.ts, toolkit-manifest.ts:
 * programs, libraries, flags, stubs, the manifest's shape); otherwise machines keep using a toolkit built by
 * the old recipe. The key cannot hash these sources itself: a bundled app has no `.ts` files to read.
 * `test/unit/main/toolkit/toolkit-recipe-version.test.ts` fails when they change without a look at this.
 */
export const TOOLKIT_RECIPE_VERSION = 3;

/** Host programs copied into the toolkit with their loader and libraries. */
const DYNAMIC_PROGRAMS = ['/usr/bin/gdb', '/usr/bin/strace'] as const;

/**
 * Debian's node_exporter, the monitoring agent a twin runs when its guest has none the user wants
 * (Experiments, `civic twin agents`). It ships beside the payload, not in it: at 13.7 MB it would take
 * a fifth more of the guest's RAM on every capture, and only agent runs put it in the clone. It needs
 * only libc and the loader, which the toolkit carries (it runs as `<loader> --library-path <lib> FILE`).
 */
export const NODE_EXPORTER_SOURCE = '/usr/bin/prometheus-node-exporter';
export const NODE_EXPORTER_FILE = 'node-exporter';

/** Packages whose files are copied as they are; the libraries' own packages are added from `dpkg -S`. */
const BASE_PACKAGES = ['busybox-static', 'gdb', 'strace', 'prometheus-node-exporter', 'libc6', 'libc6-dev', 'gcc-12'] as const;

/**
 * ICU's data library is 30 MB that gdb never reads: it is only reached through source-highlight's regexes,
 * which batch mode does not use. A stub with the same soname and symbol keeps the loader happy.
 */
const ICU_DATA_STUB = (symbol: string): string => `/* Stands in for ICU's data library; gdb -batch never reaches ICU. */\nconst char ${symbol}[16] = {0};\n`;

/** A built (or cached) toolkit on the host. */
export interface ToolkitBuild {
  readonly key: string;
  /** `<cache>/<key>` */
  readonly dir: string;
  /** The toolkit folder as it appears at {@link GUEST_TOOLKIT_DIR} in the guest. */
  readonly treeDir: string;
  /** gzip tarball of the whole tree, uploaded to the guest and unpacked with the toolkit's busybox. */
  readonly payloadPath: string;
  /** The static busybox, uploaded on its own first (it mounts the tmpfs and unpacks the rest). */
  readonly busyboxPath: string;
  readonly manifest: ToolkitManifest;
  /** Bytes of the tarball. */
  readonly payloadBytes: number;
}

/** Options of {@link buildToolkit}. */
export interface BuildToolkitOptions {
  readonly cacheRoot?: string;
  readonly log?: (line: string) => void;
  /**
   * The collector's C source (`<resources>/toolkit/collector/civic-collect.c`, see `collectorSourceIn`);
   * default: the one in this checkout, which a bundled app does not have at that path.
   */
  readonly collectorSource?: string;
  /** Called once, before a toolkit is assembled, when the cache has none for the current key. */
  readonly onBuilding?: (key: string) => void;
}

/** Returns the cached toolkit for the current packages and sources, building it first when missing. */
export async function buildToolkit(options: BuildToolkitOptions = {}): Promise<ToolkitBuild> {
  const cacheRoot = options.cacheRoot ?? DEFAULT_TOOLKIT_CACHE;
  const log = options.log ?? (() => undefined);
  const libraries = await listLibraries();
  const packages = await readPackageVersions(libraries);
  const collectorSource = options.collectorSource ?? COLLECTOR_SOURCE;
  const key = await computeToolkitKey(packages, collectorSource);
  const dir = join(cacheRoot, key);
  const cached = await readCached(dir);
  if (cached) return cached;

  log(`building toolkit ${key}`);
  options.onBuilding?.(key);
  await mkdir(cacheRoot, { recursive: true });
  const work = join(cacheRoot, `.build-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await assemble(work, key, packages, libraries, collectorSource);
    await copyFile(NODE_EXPORTER_SOURCE, join(work, NODE_EXPORTER_FILE));
    try {
      await rename(work, dir);
    } catch (error) {
      // Another build finished first; its result is the same, so use it.
      if (!(await readCached(dir))) throw error;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const built = await readCached(dir);
  if (!built) throw new ToolkitError(`toolkit ${key} was built but cannot be read back`);
  await pruneOtherToolkits(cacheRoot, key);
  log(`toolkit ${key}: ${built.manifest.files.length} files, ${built.manifest.totalBytes} bytes, payload ${built.payloadBytes} bytes`);
  return built;
}

/** Removes toolkits built for older packages or sources (about 80 MB each); a running guest keeps its copy. */
async function pruneOtherToolkits(cacheRoot: string, keep: string): Promise<void> {
  for (const entry of await readdir(cacheRoot, { withFileTypes: true })) {
    if (entry.isDirectory() && /^[0-9a-f]{20}$/.test(entry.name) && entry.name !== keep) {
      await rm(join(cacheRoot, entry.name), { recursive: true, force: true });
    }
  }
}

async function readCached(dir: string): Promise<ToolkitBuild | null> {
  let text: string;
  try {
    text = await readFile(join(dir, TOOLKIT_MANIFEST_NAME), 'utf8');
  } catch {
    return null;
  }
  const manifest = toolkitManifestSchema.parse(JSON.parse(text));
  const payloadPath = join(dir, TOOLKIT_PAYLOAD_NAME);
  return {
    key: manifest.key,
    dir,
    treeDir: join(dir, 'tree'),
    payloadPath,
    busyboxPath: join(dir, 'tree', 'bin', 'busybox'),
    manifest,
    payloadBytes: (await stat(payloadPath)).size,
  };
}

/** Every library `ldd` lists for gdb and strace, plus the loader, as real paths. */
async function listLibraries(): Promise<readonly string[]> {
  const found = new Set<string>();
  for (const program of DYNAMIC_PROGRAMS) {
    const { stdout } = await runHostCommand('ldd', [program]);
    for (const line of stdout.toString('utf8').split('\n')) {
      const path = /=>\s+(\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S*ld-linux\S*)/.exec(line)?.[1];
      if (path) found.add(path);
    }
  }
  if (![...found].some((path) => path.includes('ld-linux-x86-64'))) {
    throw new ToolkitError('ldd listed no ld-linux-x86-64 loader for gdb', 'the toolkit is built on x86-64 Debian only');
  }
  return [...found].sort();
}

async function readPackageVersions(libraries: readonly string[]): Promise<readonly { name: string; version: string }[]> {
  const names = new Set<string>(BASE_PACKAGES);
  const candidates = (await Promise.all(libraries.map(async (path) => [path, await realpath(path)]))).flat();
  // Merged /usr: dpkg knows a file under one of /lib and /usr/lib, so ask for both spellings.
  const spellings = candidates.flatMap((path) => (path.startsWith('/usr/') ? [path, path.slice(4)] : [path, `/usr${path}`]));
  const { stdout } = await runHostCommand('dpkg', ['-S', ...new Set(spellings)], { allowFailure: true });
  for (const line of stdout.toString('utf8').split('\n')) {
    const owner = /^([^:\s,]+)(?::[a-z0-9]+)?: \//.exec(line)?.[1];
    if (owner) names.add(owner);
  }
  const sorted = [...names].sort();
  const { stdout: versions } = await runHostCommand('dpkg-query', ['-W', '-f', '${Package} ${Version}\n', ...sorted]);
  return versions
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name = '', version = ''] = line.split(' ');
      return { name, version };
    });
}

/**
 * The cache key of a toolkit built from these packages and this collector source.
 *
 * Exported for its tests: a changed input must give a new key.
 */
export async function computeToolkitKey(packages: readonly { name: string; version: string }[], collectorSource: string): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`recipe ${TOOLKIT_RECIPE_VERSION}\n`);
  for (const entry of packages) hash.update(`package ${entry.name} ${entry.version}\n`);
  hash.update('source collector\n').update(await readFile(collectorSource));
  // Of the toolkit plan (the helper's JSON) only the layout shapes what is built: a moved path is a new
  // toolkit, while a changed diagnostic argv or script runs the same files and needs no rebuild or re-upload.
  hash.update('toolkit plan layout\n').update(JSON.stringify(TOOLKIT_PLAN.layout));
  return hash.digest('hex').slice(0, 20);
}

async function assemble(work: string, key: string, packages: readonly { name: string; version: string }[], libraries: readonly string[], collectorSource: string): Promise<void> {
  const tree = join(work, 'tree');
  const bin = join(tree, 'bin');
  const lib = join(tree, 'lib');
  await mkdir(bin, { recursive: true });
  await mkdir(lib, { recursive: true });
  await mkdir(join(tree, 'out'), { recursive: true });

  await copyFile('/bin/busybox', join(bin, 'busybox'));
  await compileCollector(join(bin, 'civic-collect'), collectorSource);
  for (const program of DYNAMIC_PROGRAMS) await copyFile(program, join(bin, program.split('/').pop() ?? program));
  for (const library of libraries) {
    const name = library.split('/').pop() ?? library;
    const icu = /^libicudata\.so\.(\d+)$/.exec(name);
    if (icu) {
      const source = join(work, 'icu-data-stub.c');
      await writeFile(source, ICU_DATA_STUB(`icudt${icu[1]}_dat`));
      await runHostCommand('gcc', ['-shared', '-fPIC', '-O2', '-s', `-Wl,-soname,${name}`, '-o', join(lib, name), source]);
      await rm(source);
      continue;
    }
    // copyFile follows the symlink ldd printed, so the toolkit holds the real library under its soname.
    await copyFile(library, join(lib, name));
  }

  await cp('/usr/share/gdb', join(tree, 'share', 'gdb'), {
    recursive: true,
    filter: (source) => !/\/(system-gdbinit|auto-load)(\/|$)/.test(source),
  });
  await copyPythonModules(join(tree, 'python'));

  const files = await describeTree(tree);
  const manifest: ToolkitManifest = {
    schemaVersion: 1,
    key,
    guestDir: GUEST_TOOLKIT_DIR,
    packages: [...packages],
    files,
    totalBytes: files.reduce((sum, file) => sum + file.size, 0),
  };
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  await writeFile(join(tree, TOOLKIT_MANIFEST_NAME), manifestText);
  await writeFile(join(work, TOOLKIT_MANIFEST_NAME), manifestText);
  await runHostCommand('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-I', 'gzip -9n', '-cf', join(work, TOOLKIT_PAYLOAD_NAME), '-C', tree, '.']);
}

/**
 * gdb embeds Python, which aborts at start without its stdlib. The toolkit carries only the modules gdb
 * imports at start (asked from the host's own gdb), so the guest's Python, if any, is never used.
 */
async function copyPythonModules(pythonHome: string): Promise<void> {
  const script = [
    'import sys, os',
    'print("STDLIB " + os.path.dirname(os.__file__))',
    'print("VERSION %d.%d" % sys.version_info[:2])',
    'for m in list(sys.modules.values()):',
    '    f = getattr(m, "__file__", None)',
    '    if f: print("FILE " + f)',
  ].join('\n');
  const { stdout } = await runHostCommand('gdb', ['-nx', '-batch', '-ex', `python exec(${JSON.stringify(script)})`]);
  const lines = stdout.toString('utf8').split('\n');
  const stdlib = lines.find((line) => line.startsWith('STDLIB '))?.slice(7);
  const version = lines.find((line) => line.startsWith('VERSION '))?.slice(8);
  if (!stdlib || !version) throw new ToolkitError('the host gdb did not report its Python', 'is gdb built with Python?');
  const wanted = new Set(lines.filter((line) => line.startsWith('FILE ')).map((line) => line.slice(5)));
  // C, POSIX and Latin-1 locales pick these codecs at start.
  for (const codec of ['ascii', 'latin_1', 'utf_8', 'aliases', '__init__']) wanted.add(join(stdlib, 'encodings', `${codec}.py`));
  const target = join(pythonHome, 'lib', `python${version}`);
  for (const file of [...wanted].sort()) {
    const inside = relative(stdlib, file);
    // Only the stdlib itself: Debian's sitecustomize and dist-packages hooks stay out.
    if (inside.startsWith('..') || inside.includes('-packages') || inside === 'sitecustomize.py' || !file.endsWith('.py')) continue;
    await mkdir(dirname(join(target, inside)), { recursive: true });
    await copyFile(file, join(target, inside));
  }
}

async function describeTree(tree: string): Promise<ToolkitFile[]> {
  const files: ToolkitFile[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of (await readdir(folder, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
        continue;
      }
      const inside = relative(tree, path);
      const executable = inside.startsWith('bin/') || /ld-linux/.test(inside);
      const mode = executable ? 0o755 : 0o644;
      await chmod(path, mode);
      const bytes = await readFile(path);
      files.push({ path: inside, size: bytes.length, mode, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
  };
  await walk(tree);
  return files;
}

/** CLI: builds (or finds) the toolkit and prints where it is and how big. */
async function main(): Promise<void> {
  const started = Date.now();
  const check = await checkToolkitPrerequisites();
  if (!check.ok) {
    console.error(describeMissing(check));
    if (check.reason === 'missing') console.error(`Install: ${installCommand(check.packages)}`);
    process.exitCode = 1;
    return;
  }
  const build = await buildToolkit({ log: (line) => console.log(line) });
  console.log(`toolkit: ${build.dir}`);
  console.log(`files: ${build.manifest.files.length}, unpacked ${(build.manifest.totalBytes / 1048576).toFixed(1)} MiB, payload ${(build.payloadBytes / 1048576).toFixed(1)} MiB`);
  console.log(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// Run as a script only: once bundled into the app, this module shares its file with other code, so a
// file that is not named build-toolkit.* never starts the build.
if (process.argv[1] && basename(MODULE_PATH).startsWith('build-toolkit.') && resolve(process.argv[1]) === MODULE_PATH) {
  main().catch((error: unknown) => {
    console.error(error instanceof ToolkitError && error.hint ? `${error.message}\n${error.hint}` : error);
    process.exitCode = 1;
  });
}
