import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemDocument } from '../../../../main/bundle/bundle-schema';
import { createCaptureService } from '../../../../main/captures/capture-service';
import { mountConcerns, systemFacts, systemFactsOf } from '../../../../main/review/system-facts';

const samplePath = join(__dirname, '../../../../resources/samples/sample.civic');
const at = '2026-01-01T00:00:00.000Z';
const captures = createCaptureService();
let handle: string;

beforeAll(async () => {
  handle = (await captures.open(samplePath)).handle;
});

afterAll(() => {
  captures.close(handle);
});

function document(overrides: Partial<SystemDocument> = {}): SystemDocument {
  return {
    schemaVersion: 1,
    capturedAt: at,
    kernel: { banner: 'Linux version 6.1.0', release: '6.1.0', tainted: 0, taintFlags: [], uptimeSeconds: 12, bootedAt: at },
    modules: [],
    mounts: [],
    ldSoPreload: { present: false, content: null, truncated: false },
    logins: [],
    persistence: [],
    persistenceTruncated: false,
    ...overrides,
  };
}

describe('systemFacts', () => {
  it('shows the sample capture: its kernel, modules and mounts, no preload and an untainted kernel', () => {
    const facts = systemFactsOf(captures.capture(handle));
    expect(facts).not.toBeNull();
    expect(facts?.kernel.release?.text).toBe('6.1.0-56-cloud-amd64');
    expect(facts?.kernel.taintFlags).toEqual([]);
    expect(facts?.modules.map((module) => module.name.text)).toContain('virtio_net');
    expect(facts?.mounts.find((mount) => mount.target.text === '/proc')?.fsType.text).toBe('proc');
    expect(facts?.ldSoPreload.loadsSomething).toBe(false);
  });

  it('says not collected (null) for a capture without a system document', () => {
    expect(systemFactsOf({ system: null })).toBeNull();
  });

  it('decodes the kernel taint and each module taint letter', () => {
    const facts = systemFacts(
      document({
        kernel: { banner: null, release: null, tainted: (1 << 12) | (1 << 13) | 2 ** 30, taintFlags: ['O', 'E'], uptimeSeconds: null, bootedAt: null },
        modules: [{ name: 'rootkit', size: 4096, instances: 0, dependencies: [], state: 'Live', taints: 'OE' }],
      }),
    );
    expect(facts.kernel.taintFlags.map((flag) => flag.letter)).toEqual(['O', 'E']);
    expect(facts.kernel.unknownTaintBits).toEqual([30]);
    expect(facts.modules[0]?.taintFlags.map((flag) => flag.meaning)).toEqual(['externally built (out-of-tree) module loaded', 'unsigned module loaded']);
  });

  it('escapes hostile module names and mount paths instead of passing them through', () => {
    const facts = systemFacts(
      document({
        modules: [{ name: '<img src=x onerror=alert(1)>\u202Eko', size: 1, instances: 0, dependencies: [], state: 'Live', taints: '' }],
        mounts: [{ source: { b64: Buffer.from([0x2f, 0xff, 0x0a]).toString('base64') }, target: '/mnt/a\nb', fsType: 'ext4', options: 'rw' }],
      }),
    );
    expect(facts.modules[0]?.name.text).toBe('<img src=x onerror=alert(1)>\\u202eko');
    expect(facts.mounts[0]?.source.text).toBe('/\\xff\\x0a');
    expect(facts.mounts[0]?.target.text).toBe('/mnt/a\\x0ab');
  });

  it('groups persistence files by folder and keeps their hashes', () => {
    const entry = (path: string) => ({ path, type: 'file' as const, size: 10, mode: 0o644, uid: 0, mtime: at, sha256: 'a'.repeat(64), linkTarget: null });
    const facts = systemFacts(document({ persistence: [entry('/etc/cron.d/b'), entry('/etc/systemd/system/x.service'), entry('/etc/cron.d/a')] }));
    expect(facts.persistence.map((group) => [group.location.text, group.entries.map((file) => file.path.text)])).toEqual([
      ['/etc/cron.d', ['/etc/cron.d/b', '/etc/cron.d/a']],
      ['/etc/systemd/system', ['/etc/systemd/system/x.service']],
    ]);
    expect(facts.persistence[0]?.entries[0]?.sha256).toBe('a'.repeat(64));
  });

  it('marks ld.so.preload that loads a library, and not one holding only comments', () => {
    const loads = systemFacts(document({ ldSoPreload: { present: true, content: '/lib/libevil.so\n', truncated: false } }));
    const comments = systemFacts(document({ ldSoPreload: { present: true, content: '# none\n', truncated: false } }));
    expect(loads.ldSoPreload.loadsSomething).toBe(true);
    expect(loads.ldSoPreload.content?.text).toBe('/lib/libevil.so\n');
    expect(comments.ldSoPreload.loadsSomething).toBe(false);
  });
});

describe('mountConcerns', () => {
  it('flags /tmp and /dev/shm without noexec, and unusual types', () => {
    expect(mountConcerns({ target: '/tmp', fsType: 'tmpfs', options: 'rw,nosuid,nodev' })).toEqual(['noexec-missing']);
    expect(mountConcerns({ target: '/dev/shm', fsType: 'tmpfs', options: 'rw,nosuid,nodev,noexec' })).toEqual([]);
    expect(mountConcerns({ target: '/srv/x', fsType: 'fuse.sshfs', options: 'rw' })).toEqual(['unusual-type']);
    expect(mountConcerns({ target: '/', fsType: 'ext4', options: 'rw' })).toEqual([]);
  });
});
