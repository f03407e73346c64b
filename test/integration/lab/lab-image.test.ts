import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyVersionOverrides, computeCacheKey, type BuildInput, type PackageVersion } from '../../lab/cache-key';
import { encodeCpio } from '../../lab/cpio-archive';
import { dependencyOrder, ensureImage, moduleDependencies } from '../../lab/image-build';
import { resolveLabPaths } from '../../lab/lab-paths';
import { runCommand } from '../../support/lab';

const versions: readonly PackageVersion[] = [
  { name: 'busybox-static', version: '1:1.35.0-4' },
  { name: 'linux-image-6.1.0-56-cloud-amd64-unsigned', version: '6.1.192-2' },
];
const inputs: readonly BuildInput[] = [{ name: 'guest/init.sh', content: Buffer.from('#!/bin/sh\n') }];

describe('image cache key', () => {
  it('is stable for the same versions and files, whatever their order', () => {
    expect(computeCacheKey(versions, inputs)).toBe(computeCacheKey([...versions].reverse(), inputs));
  });

  it('changes when a package version or a build file changes', () => {
    const key = computeCacheKey(versions, inputs);
    expect(computeCacheKey(applyVersionOverrides(versions, { 'busybox-static': '1:1.36.0-1' }), inputs)).not.toBe(key);
    expect(computeCacheKey(versions, [{ name: 'guest/init.sh', content: Buffer.from('#!/bin/sh\n#\n') }])).not.toBe(key);
  });

  it('rebuilds for a changed package version and reuses that build the second time', async () => {
    const cacheRoot = resolveLabPaths().cacheRoot;
    const current = await ensureImage({ cacheRoot });
    const upgrade = { 'busybox-static': '1:99.0-civic-lab-test' };
    const rebuilt = await ensureImage({ cacheRoot, versionOverrides: upgrade });
    try {
      expect(rebuilt.cacheKey).not.toBe(current.cacheKey);
      expect(rebuilt.reused).toBe(false);
      expect(rebuilt.versions).toContainEqual({ name: 'busybox-static', version: '1:99.0-civic-lab-test' });
      const second = await ensureImage({ cacheRoot, versionOverrides: upgrade });
      expect(second.reused).toBe(true);
      expect(second.directory).toBe(rebuilt.directory);
      expect((await ensureImage({ cacheRoot })).reused).toBe(true);
    } finally {
      await rm(rebuilt.directory, { recursive: true, force: true });
    }
  });
});

describe('kernel module order', () => {
  it('reads depends= from a module and loads dependencies first', () => {
    const module = Buffer.from('\0license=GPL\0depends=virtio_ring,virtio\0vermagic=6.1\0');
    expect(moduleDependencies(module)).toEqual(['virtio_ring', 'virtio']);
    const order = dependencyOrder(
      new Map([
        ['virtio_blk', ['virtio', 'virtio_ring']],
        ['virtio', ['virtio_ring']],
        ['virtio_ring', []],
      ]),
    );
    expect(order).toEqual(['virtio_ring', 'virtio', 'virtio_blk']);
  });

  it('refuses a dependency the image would not contain', () => {
    expect(() => dependencyOrder(new Map([['virtio_net', ['net_failover']]]))).toThrow(/net_failover/);
  });
});

describe('initramfs archive', () => {
  it('is a newc cpio that cpio itself lists, concatenated archives included', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'lab-cpio-'));
    try {
      const first = encodeCpio([
        { kind: 'directory', path: 'etc' },
        { kind: 'file', path: 'etc/hello', data: Buffer.from('hi\n'), mode: 0o644 },
        { kind: 'symlink', path: 'sh', target: '/bin/busybox' },
        { kind: 'char-device', path: 'console', major: 5, minor: 1 },
      ]);
      expect(first.length % 4).toBe(0);
      const path = join(folder, 'archive.cpio');
      await writeFile(path, first);
      const listing = await runCommand('/bin/busybox', ['cpio', '-t', '-v', '-F', path]);
      expect(listing.stdout).toMatch(/-rw-r--r--.* 3 .*etc\/hello/);
      expect(listing.stdout).toMatch(/lrwxrwxrwx.*sh -> \/bin\/busybox/);
      expect(listing.stdout).toMatch(/crw-------.*console/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
