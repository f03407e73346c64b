import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ToolkitBuild } from '../../../../main/toolkit/build-toolkit';
import { GUEST_FILE_CHUNK_BYTES } from '../../../../main/toolkit/guest-agent';
import { injectToolkit, removeToolkit, runCollector } from '../../../../main/toolkit/inject-toolkit';
import { GUEST_BUSYBOX, GUEST_COLLECTOR } from '../../../../main/toolkit/toolkit-layout';
import { FakeGuest, fakeBusybox, sha256 } from './fake-guest-agent';

const BUSYBOX = Buffer.from('#!fake busybox\n');
const COLLECTOR = Buffer.from('#!fake collector\n');
// Larger than one guest-file-write chunk, so the upload takes more than one.
const PAYLOAD = randomBytes(GUEST_FILE_CHUNK_BYTES + 1000);

let work: string;
let build: ToolkitBuild;
let guest: FakeGuest;
let contents: Map<string, Buffer>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'civic-inject-'));
  await writeFile(join(work, 'busybox'), BUSYBOX);
  await writeFile(join(work, 'toolkit.tar.gz'), PAYLOAD);
  const files = [
    { path: 'bin/busybox', size: BUSYBOX.length, mode: 0o755, sha256: sha256(BUSYBOX) },
    { path: 'bin/civic-collect', size: COLLECTOR.length, mode: 0o755, sha256: sha256(COLLECTOR) },
  ];
  build = {
    key: '0123456789abcdef0123',
    dir: work,
    treeDir: work,
    payloadPath: join(work, 'toolkit.tar.gz'),
    busyboxPath: join(work, 'busybox'),
    payloadBytes: PAYLOAD.length,
    manifest: { schemaVersion: 1, key: '0123456789abcdef0123', guestDir: '/run/civic', packages: [], files, totalBytes: 0 },
  };
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

beforeEach(() => {
  guest = new FakeGuest();
  contents = new Map([
    ['bin/busybox', BUSYBOX],
    ['bin/civic-collect', COLLECTOR],
  ]);
  guest.programs.set('/bin/chmod', (argv, target) => {
    target.executable.add(argv[2] ?? '');
    target.programs.set(argv[2] ?? '', fakeBusybox(contents));
    return { exitcode: 0 };
  });
  guest.programs.set(GUEST_BUSYBOX, fakeBusybox(contents));
});

function bootstrapOf(): string {
  const path = [...guest.executable].find((entry) => entry.startsWith('/run/busybox.civic-'));
  if (!path) throw new Error('no bootstrap busybox was made executable');
  return path;
}

describe('injectToolkit', () => {
  it('mounts, uploads in chunks, verifies, and runs no guest program but chmod', async () => {
    const injected = await injectToolkit(guest, build);
    expect(guest.mounted).toBe(true);
    expect(guest.files.get('/run/civic/bin/civic-collect')).toEqual(COLLECTOR);
    expect(guest.files.has('/run/civic/toolkit.tar.gz')).toBe(false);
    const bootstrap = bootstrapOf();
    expect(injected.bootstrapPath).toBe(bootstrap);
    expect(bootstrap).toMatch(/^\/run\/busybox\.civic-[0-9a-f]{12}$/);
    const programs = new Set(guest.execs.map((argv) => argv[0]));
    expect(programs).toEqual(new Set(['/bin/chmod', bootstrap, GUEST_BUSYBOX]));
    expect(guest.execs.find((argv) => argv[1] === 'sh')?.slice(-3)).toEqual(['civic-toolkit-mount', bootstrap, '/run/civic']);
    expect(guest.execs.find((argv) => argv[1] === 'sha256sum')).toEqual([GUEST_BUSYBOX, 'sha256sum', '/run/civic/bin/busybox', '/run/civic/bin/civic-collect']);
  });

  it('removal unmounts, removes the folder it made and the bootstrap busybox', async () => {
    const injected = await injectToolkit(guest, build);
    await removeToolkit(guest, injected);
    expect(guest.mounted).toBe(false);
    expect(guest.folders.has('/run/civic')).toBe(false);
    expect([...guest.files.keys()]).toEqual([]);
  });

  it('replaces a toolkit left mounted by an interrupted run', async () => {
    guest.mounted = true;
    guest.files.set('/run/civic/stale', Buffer.from('old'));
    await injectToolkit(guest, build);
    expect(guest.files.has('/run/civic/stale')).toBe(false);
    expect(guest.files.get('/run/civic/bin/civic-collect')).toEqual(COLLECTOR);
  });

  it('refuses a bootstrap busybox that reads back changed, and removes it', async () => {
    guest.programs.set('/bin/chmod', (argv, target) => {
      target.readOverrides.set(argv[2] ?? '', Buffer.from('trojaned'));
      target.programs.set(argv[2] ?? '', fakeBusybox(contents));
      return { exitcode: 0 };
    });
    await expect(injectToolkit(guest, build)).rejects.toThrow(/reads back with another hash/);
    expect(guest.mounted).toBe(false);
    expect([...guest.files.keys()]).toEqual([]);
  });

  it('refuses a toolkit file whose hash in the guest differs, and unmounts', async () => {
    contents.set('bin/civic-collect', Buffer.from('changed in transit'));
    await expect(injectToolkit(guest, build)).rejects.toThrow(/1 toolkit files in the guest do not match the manifest: \/run\/civic\/bin\/civic-collect/);
    expect(guest.mounted).toBe(false);
    expect(guest.folders.has('/run/civic')).toBe(false);
    expect([...guest.files.keys()]).toEqual([]);
  });

  it('says so when the guest has no chmod', async () => {
    guest.programs.delete('/bin/chmod');
    await expect(injectToolkit(guest, build)).rejects.toThrow(/cannot make the uploaded busybox executable in the guest/);
  });
});

describe('runCollector', () => {
  it('fetches the document, accepts exit 1 (capped), and removes the file from the guest', async () => {
    guest.programs.set(GUEST_COLLECTOR, (argv, target) => {
      target.files.set(argv[2] ?? '', Buffer.from('{"schemaVersion":1}'));
      return { exitcode: 1, err: 'civic-collect: processes: 3 items, 0 vanished, 1 capped, 19 bytes, truncated at the output cap\n' };
    });
    const result = await runCollector(guest, 'processes');
    expect(guest.execs[0]).toEqual([GUEST_COLLECTOR, '-o', '/run/civic/out/processes.json', 'processes']);
    expect(result).toMatchObject({ document: 'processes', exitCode: 1, summary: expect.stringContaining('truncated at the output cap') });
    expect(result.bytes.toString()).toBe('{"schemaVersion":1}');
    expect(guest.files.has('/run/civic/out/processes.json')).toBe(false);
  });

  it('throws with the collector summary when it could not write', async () => {
    guest.programs.set(GUEST_COLLECTOR, () => ({ exitcode: 3, err: 'civic-collect: sockets: cannot read /proc: No such file or directory\n' }));
    await expect(runCollector(guest, 'sockets')).rejects.toMatchObject({ message: expect.stringContaining('exit 3'), hint: expect.stringContaining('cannot read /proc') });
  });
});
