import { chmod, mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, stat, writeFile, copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { applyVersionOverrides, computeCacheKey, findKernelPackage, readBuildInputs, readImagePackageVersions, type PackageVersion } from './cache-key';
import { encodeCpio, type CpioEntry } from './cpio-archive';
import { LabError } from './lab-error';
import { GUEST_SOURCE_DIR } from './lab-paths';
import { runCommand } from './run-command';

/** virtio modules the guest needs; the cloud kernel ships no modules.dep, so the build orders them. */
export const VIRTIO_MODULES: readonly string[] = [
  'virtio',
  'virtio_ring',
  'virtio_pci_modern_dev',
  'virtio_pci_legacy_dev',
  'virtio_pci',
  'failover',
  'net_failover',
  'virtio_net',
  'virtio_blk',
  'virtio_console',
];

/** Static guest programs compiled from test/lab/guest/*.c. */
export const GUEST_PROGRAMS: readonly string[] = ['civic-worker', 'civic-daemon', 'civic-sleeper', 'civic-web'];

/** Dynamically linked host binaries copied into the image at the same path, with their libraries. */
export const GUEST_HOST_BINARIES: readonly string[] = [
  '/usr/sbin/qemu-ga',
  '/usr/sbin/sshd',
  // sysstat's collector and reporter: a monitoring agent the guest carries but does not run.
  '/usr/lib/sysstat/sadc',
  '/usr/bin/sadf',
];

/** Guest scripts copied to /lab in the initramfs. */
const GUEST_SCRIPTS: readonly string[] = ['workload.sh', 'plant.sh', 'supervisor.sh', 'tier2.sh', 'tier3.sh', 'backdoor.cgi'];

/** A built (or reused) guest image. */
export interface LabImage {
  readonly cacheKey: string;
  readonly directory: string;
  readonly kernelPath: string;
  readonly initramfsPath: string;
  readonly kernelRelease: string;
  readonly versions: readonly PackageVersion[];
  /** True when an earlier build was reused. */
  readonly reused: boolean;
  /** Seconds the build took (of the earlier build, when reused). */
  readonly buildSeconds: number;
}

/** Options for {@link ensureImage}. */
export interface ImageOptions {
  readonly cacheRoot: string;
  /** Package versions to pretend are installed, to simulate an upgrade. */
  readonly versionOverrides?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

interface ImageManifest {
  readonly cacheKey: string;
  readonly kernelRelease: string;
  readonly versions: readonly PackageVersion[];
  readonly buildSeconds: number;
  readonly builtAt: string;
}

/** Computes the cache key the current packages and build files give, without building anything. */
export async function currentCacheKey(versionOverrides: Readonly<Record<string, string>> = {}): Promise<{
  readonly cacheKey: string;
  readonly kernelPackage: string;
  readonly versions: readonly PackageVersion[];
}> {
  const kernelPackage = await findKernelPackage();
  const versions = applyVersionOverrides(await readImagePackageVersions(kernelPackage), versionOverrides);
  return { cacheKey: computeCacheKey(versions, await readBuildInputs()), kernelPackage, versions };
}

/**
 * Returns the guest image for the current package versions, building it only when the key is new.
 *
 * Builds into a temporary folder and renames it into place, so a crashed build is never reused.
 */
export async function ensureImage(options: ImageOptions): Promise<LabImage> {
  const log = options.log ?? (() => undefined);
  const { cacheKey, kernelPackage, versions } = await currentCacheKey(options.versionOverrides);
  const imagesRoot = join(options.cacheRoot, 'images');
  const directory = join(imagesRoot, cacheKey);
  const manifestPath = join(directory, 'manifest.json');
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as ImageManifest;
    log(`image ${cacheKey}: reused`);
    return imageFrom(directory, manifest, true);
  }
  log(`image ${cacheKey}: building`);
  const started = performance.now();
  await mkdir(imagesRoot, { recursive: true });
  const work = await mkdtemp(join(imagesRoot, `.build-${cacheKey}-`));
  // mkdtemp makes the folder private; QEMU run by libvirtd must be able to read the kernel.
  await chmod(work, 0o755);
  try {
    const kernelRelease = await unpackKernel(kernelPackage, versions, work);
    await compilePrograms(work);
    const initramfs = encodeCpio(await initramfsEntries(work, kernelRelease));
    await writeFile(join(work, 'initramfs.cpio'), initramfs);
    await rm(join(work, 'kernel-tree'), { recursive: true, force: true });
    const manifest: ImageManifest = {
      cacheKey,
      kernelRelease,
      versions,
      buildSeconds: Number(((performance.now() - started) / 1000).toFixed(2)),
      builtAt: new Date().toISOString(),
    };
    await writeFile(join(work, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    try {
      await rename(work, directory);
    } catch (error) {
      // Another lab folder finished the same build first: keep theirs, VMs may already use it.
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !existsSync(manifestPath)) throw error;
      await rm(work, { recursive: true, force: true });
      log(`image ${cacheKey}: built concurrently elsewhere, reused`);
      return imageFrom(directory, JSON.parse(await readFile(manifestPath, 'utf8')) as ImageManifest, true);
    }
    log(`image ${cacheKey}: built in ${manifest.buildSeconds} s`);
    if (Object.keys(options.versionOverrides ?? {}).length === 0) await pruneOtherImages(imagesRoot, cacheKey, log);
    return imageFrom(directory, manifest, false);
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Deletes images built for older package versions or build files once a current one exists.
 *
 * Running VMs are unaffected: QEMU reads kernel and initramfs into guest memory at start.
 * In-progress builds (`.build-*`) are left alone.
 */
async function pruneOtherImages(imagesRoot: string, keep: string, log: (line: string) => void): Promise<void> {
  for (const name of await readdir(imagesRoot)) {
    if (name === keep || name.startsWith('.')) continue;
    await rm(join(imagesRoot, name), { recursive: true, force: true });
    log(`image ${name}: outdated, removed`);
  }
}

function imageFrom(directory: string, manifest: ImageManifest, reused: boolean): LabImage {
  return {
    cacheKey: manifest.cacheKey,
    directory,
    kernelPath: join(directory, 'vmlinuz'),
    initramfsPath: join(directory, 'initramfs.cpio'),
    kernelRelease: manifest.kernelRelease,
    versions: manifest.versions,
    reused,
    buildSeconds: manifest.buildSeconds,
  };
}

async function unpackKernel(kernelPackage: string, versions: readonly PackageVersion[], work: string): Promise<string> {
  const download = join(work, 'download');
  await mkdir(download);
  const version = versions.find((entry) => entry.name === kernelPackage)?.version ?? '';
  // Download the exact version the key names, unless a test injected a fake one.
  const real = (await runCommand('apt-cache', ['show', `${kernelPackage}=${version}`], { allowFailure: true })).code === 0;
  await runCommand('apt-get', ['download', real ? `${kernelPackage}=${version}` : kernelPackage], { cwd: download });
  const debs = (await readdir(download)).filter((name) => name.endsWith('.deb'));
  const deb = debs[0];
  if (debs.length !== 1 || !deb) throw new LabError(`apt-get download ${kernelPackage} gave ${debs.length} files`);
  const tree = join(work, 'kernel-tree');
  await runCommand('dpkg', ['-x', join(download, deb), tree]);
  await rm(download, { recursive: true, force: true });
  const vmlinuz = (await readdir(join(tree, 'boot'))).find((name) => name.startsWith('vmlinuz-'));
  if (!vmlinuz) throw new LabError(`${kernelPackage} has no /boot/vmlinuz-*`);
  await copyFile(join(tree, 'boot', vmlinuz), join(work, 'vmlinuz'));
  return vmlinuz.slice('vmlinuz-'.length);
}

async function compilePrograms(work: string): Promise<void> {
  const bin = join(work, 'bin');
  await mkdir(bin);
  for (const program of GUEST_PROGRAMS) {
    await runCommand('gcc', ['-static', '-O2', '-Wall', '-pthread', '-o', join(bin, program), join(GUEST_SOURCE_DIR, `${program}.c`)]);
  }
}

async function initramfsEntries(work: string, kernelRelease: string): Promise<CpioEntry[]> {
  const entries: CpioEntry[] = [];
  const directories = new Set<string>();
  const addDirectory = (path: string): void => {
    const parts = path.split('/').filter(Boolean);
    for (let index = 1; index <= parts.length; index++) {
      const prefix = parts.slice(0, index).join('/');
      if (!directories.has(prefix)) {
        directories.add(prefix);
        entries.push({ kind: 'directory', path: prefix });
      }
    }
  };
  const addFile = async (path: string, source: string, mode: number): Promise<void> => {
    addDirectory(path.split('/').slice(0, -1).join('/'));
    entries.push({ kind: 'file', path, data: await readFile(source), mode });
  };

  for (const folder of ['proc', 'sys', 'dev', 'run', 'tmp', 'var/tmp', 'var/run', 'root', 'etc/lab', 'www/cgi-bin', 'lib/modules', 'var/log/civic-web']) {
    addDirectory(folder);
  }
  entries.push({ kind: 'char-device', path: 'dev/console', major: 5, minor: 1 });
  entries.push({ kind: 'char-device', path: 'dev/null', major: 1, minor: 3 });

  await addFile('bin/busybox', '/bin/busybox', 0o755);
  const applets = (await runCommand('/bin/busybox', ['--list-full'])).stdout.split('\n').filter(Boolean);
  for (const applet of applets) {
    // busybox lists itself: a bin/busybox -> busybox link would replace the binary and loop (ELOOP).
    if (applet === 'bin/busybox') continue;
    addDirectory(applet.split('/').slice(0, -1).join('/'));
    entries.push({ kind: 'symlink', path: applet, target: '/bin/busybox' });
  }

  for (const binary of GUEST_HOST_BINARIES) {
    await addFile(binary.slice(1), binary, 0o755);
  }
  // Debian's `sar` is an alternative (sar.sysstat); the guest has no alternatives system.
  await addFile('usr/bin/sar', '/usr/bin/sar.sysstat', 0o755);
  for (const library of await sharedLibraries([...GUEST_HOST_BINARIES, '/usr/bin/sar.sysstat'])) {
    await addFile(library.slice(1), await realpath(library), 0o755);
  }

  const moduleRoot = join(work, 'kernel-tree', 'lib', 'modules', kernelRelease, 'kernel');
  const modulePaths = await findModules(moduleRoot);
  const dependencies = new Map<string, readonly string[]>();
  for (const module of VIRTIO_MODULES) {
    const source = modulePaths.get(module);
    if (!source) throw new LabError(`kernel ${kernelRelease} has no module ${module}.ko`);
    dependencies.set(module, moduleDependencies(await readFile(source)));
    await addFile(`lib/modules/${module}.ko`, source, 0o644);
  }
  const loadOrder = dependencyOrder(dependencies);
  entries.push({ kind: 'file', path: 'lib/modules/load-order', data: Buffer.from(`${loadOrder.join('\n')}\n`), mode: 0o644 });

  for (const program of GUEST_PROGRAMS) {
    await addFile(`usr/bin/${program}`, join(work, 'bin', program), 0o755);
  }
  await addFile('init', join(GUEST_SOURCE_DIR, 'init.sh'), 0o755);
  for (const script of GUEST_SCRIPTS) {
    await addFile(`lab/${script}`, join(GUEST_SOURCE_DIR, script), 0o755);
  }
  await addFile('www/cgi-bin/status.cgi', join(GUEST_SOURCE_DIR, 'status.cgi'), 0o755);
  await addFile('etc/passwd', join(GUEST_SOURCE_DIR, 'passwd'), 0o644);
  await addFile('etc/group', join(GUEST_SOURCE_DIR, 'group'), 0o644);
  await addFile('etc/ssh/sshd_config', join(GUEST_SOURCE_DIR, 'sshd_config'), 0o644);
  await addFile('etc/civic-web.conf', join(GUEST_SOURCE_DIR, 'civic-web.conf'), 0o644);
  await addFile('usr/sbin/civic-web-ctl', join(GUEST_SOURCE_DIR, 'civic-web-ctl'), 0o755);
  return entries;
}

/** The libraries `ldd` lists for the binaries, including the dynamic loader. */
async function sharedLibraries(binaries: readonly string[]): Promise<readonly string[]> {
  const libraries = new Set<string>();
  for (const binary of binaries) {
    const { stdout } = await runCommand('ldd', [binary]);
    for (const line of stdout.split('\n')) {
      const match = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
      if (match?.[1]) libraries.add(match[1]);
    }
  }
  return [...libraries].sort();
}

async function findModules(root: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.ko')) found.set(basename(entry.name, '.ko'), path);
    }
  };
  if ((await stat(root)).isDirectory()) await walk(root);
  return found;
}

/** Reads the `depends=` field of a kernel module's .modinfo section. */
export function moduleDependencies(module: Uint8Array): readonly string[] {
  const text = Buffer.from(module).toString('latin1');
  const start = text.indexOf('\0depends=');
  if (start < 0) return [];
  const end = text.indexOf('\0', start + 1);
  return text
    .slice(start + '\0depends='.length, end)
    .split(',')
    .filter(Boolean);
}

/**
 * Orders modules so each comes after the modules it depends on (the order insmod needs).
 *
 * Throws when a dependency is not in the set: insmod would fail in the guest with "unknown symbol".
 */
export function dependencyOrder(dependencies: ReadonlyMap<string, readonly string[]>): readonly string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (module: string): void => {
    if (order.includes(module)) return;
    if (visiting.has(module)) throw new LabError(`module dependency cycle at ${module}`);
    const needs = dependencies.get(module);
    if (!needs) throw new LabError(`module ${module} is needed but not in the image`);
    visiting.add(module);
    for (const need of needs) visit(need);
    visiting.delete(module);
    order.push(module);
  };
  for (const module of dependencies.keys()) visit(module);
  return order;
}
