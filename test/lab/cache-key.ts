import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './run-command';
import { LabError } from './lab-error';
import { GUEST_SOURCE_DIR, REPOSITORY_ROOT } from './lab-paths';

/** A Debian package and the version the image is built from. */
export interface PackageVersion {
  readonly name: string;
  readonly version: string;
}

/** Installed packages whose files end up in the image (their versions are part of the cache key). */
export const IMAGE_HOST_PACKAGES: readonly string[] = [
  'busybox-static',
  'qemu-guest-agent',
  'openssh-server',
  'sysstat',
  'libc6',
  'libc6-dev',
  'gcc-12',
];

/** Source files whose content is part of the cache key: the build code and every guest file. */
const BUILD_CODE_FILES: readonly string[] = ['test/lab/image-build.ts', 'test/lab/cpio-archive.ts', 'test/lab/cache-key.ts'];

const KERNEL_PACKAGE_PATTERN = /^linux-image-6\.1\.0-(\d+)-cloud-amd64-unsigned$/;

/** Picks the newest `linux-image-6.1.0-N-cloud-amd64-unsigned` apt knows about. */
export async function findKernelPackage(): Promise<string> {
  const { stdout } = await runCommand('apt-cache', ['search', '--names-only', '^linux-image-6\\.1\\.0-[0-9]+-cloud-amd64-unsigned$']);
  let best: { name: string; abi: number } | null = null;
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const abi = Number(KERNEL_PACKAGE_PATTERN.exec(name)?.[1] ?? NaN);
    if (Number.isFinite(abi) && (!best || abi > best.abi)) best = { name, abi };
  }
  if (!best) {
    throw new LabError('no linux-image-6.1.0-*-cloud-amd64-unsigned package in apt', 'run apt-get update');
  }
  return best.name;
}

/** Reads the candidate version apt would download for a package. */
export async function candidateVersion(name: string): Promise<string> {
  const { stdout } = await runCommand('apt-cache', ['policy', name]);
  const version = /^\s+Candidate:\s+(\S+)/m.exec(stdout)?.[1];
  if (!version || version === '(none)') {
    throw new LabError(`apt has no candidate for ${name}`, 'run apt-get update');
  }
  return version;
}

/** Reads the installed version of a package from dpkg. */
export async function installedVersion(name: string): Promise<string> {
  const { stdout, code } = await runCommand('dpkg-query', ['-W', '-f', '${Version}', name], { allowFailure: true });
  if (code !== 0 || stdout.trim() === '') {
    throw new LabError(`package ${name} is not installed`, 'install the packages in test/lab/apt-packages.txt');
  }
  return stdout.trim();
}

/** The versions that define an image: the kernel apt would download plus the installed host packages. */
export async function readImagePackageVersions(kernelPackage: string): Promise<readonly PackageVersion[]> {
  const versions: PackageVersion[] = [{ name: kernelPackage, version: await candidateVersion(kernelPackage) }];
  for (const name of IMAGE_HOST_PACKAGES) {
    versions.push({ name, version: await installedVersion(name) });
  }
  return versions;
}

/** A named input of the cache key (a file's content). */
export interface BuildInput {
  readonly name: string;
  readonly content: Uint8Array;
}

/** Reads the build code and every guest file, the non-package part of the cache key. */
export async function readBuildInputs(): Promise<readonly BuildInput[]> {
  const inputs: BuildInput[] = [];
  for (const file of BUILD_CODE_FILES) {
    inputs.push({ name: file, content: await readFile(join(REPOSITORY_ROOT, file)) });
  }
  for (const file of (await readdir(GUEST_SOURCE_DIR)).sort()) {
    inputs.push({ name: `guest/${file}`, content: await readFile(join(GUEST_SOURCE_DIR, file)) });
  }
  return inputs;
}

/**
 * Hashes package versions and build inputs into the image cache key.
 *
 * Pure: the same versions and files always give the same key; any changed version or byte changes it.
 */
export function computeCacheKey(versions: readonly PackageVersion[], inputs: readonly BuildInput[]): string {
  const hash = createHash('sha256');
  for (const { name, version } of [...versions].sort((a, b) => a.name.localeCompare(b.name))) {
    hash.update(`package ${name} ${version}\n`);
  }
  for (const input of [...inputs].sort((a, b) => a.name.localeCompare(b.name))) {
    hash.update(`file ${input.name} ${input.content.length}\n`);
    hash.update(input.content);
  }
  return hash.digest('hex').slice(0, 20);
}

/** Replaces versions by name (how a test simulates a package upgrade); unknown names are added. */
export function applyVersionOverrides(
  versions: readonly PackageVersion[],
  overrides: Readonly<Record<string, string>>,
): readonly PackageVersion[] {
  const result = versions.map((entry) => ({ name: entry.name, version: overrides[entry.name] ?? entry.version }));
  for (const [name, version] of Object.entries(overrides)) {
    if (!result.some((entry) => entry.name === name)) result.push({ name, version });
  }
  return result;
}
