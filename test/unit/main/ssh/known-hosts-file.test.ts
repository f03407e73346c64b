import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readKnownHostsFor } from '../../../../main/ssh/known-hosts-file';

function ed25519(): Buffer {
  return Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), randomBytes(32)]);
}

describe('readKnownHostsFor', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'civic-known-hosts-file-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('keeps only lines naming a wanted host, plus every @revoked line, with their line numbers', async () => {
    const key = ed25519().toString('base64');
    const file = join(dir, 'known_hosts');
    await writeFile(file, [`a ssh-ed25519 ${key}`, `[h]:2222 ssh-ed25519 ${key}`, `@revoked z ssh-ed25519 ${key}`, `h ssh-ed25519 ${key}`, ''].join('\n'));
    const entries = await readKnownHostsFor([file], ['[h]:2222', 'h']);
    expect(entries.map((entry) => [entry.line, entry.hosts, entry.marker])).toEqual([
      [2, '[h]:2222', null],
      [3, 'z', 'revoked'],
      [4, 'h', null],
    ]);
  });

  it('numbers lines right and keeps a line cut by a read chunk whole', async () => {
    // 256 KiB chunks: 5000 filler lines of ~100 bytes put lines across several chunk boundaries.
    const filler = Array.from({ length: 5000 }, (_, index) => `filler-${index} ssh-ed25519 ${ed25519().toString('base64')}`);
    const key = ed25519();
    const wantedAt = [1234, 2621, 4999];
    for (const index of wantedAt) filler[index] = `wanted ssh-ed25519 ${key.toString('base64')}`;
    const file = join(dir, 'big');
    await writeFile(file, filler.join('\n'));
    const entries = await readKnownHostsFor([file], ['wanted']);
    expect(entries.map((entry) => entry.line)).toEqual(wantedAt.map((index) => index + 1));
    expect(entries.every((entry) => entry.key.equals(key))).toBe(true);
  });

  it('skips a missing file, a directory and an unreadable file, and reads the files after them', async () => {
    const key = ed25519().toString('base64');
    const folder = join(dir, 'folder');
    await mkdir(folder);
    const good = join(dir, 'good');
    await writeFile(good, `h ssh-ed25519 ${key}\n`);
    // Mode 0200 in procfs: reading gives EACCES even to root, unlike a chmod 000 file.
    const unreadable = '/proc/sys/vm/compact_memory';
    const entries = await readKnownHostsFor([join(dir, 'missing'), folder, unreadable, good], ['h']);
    expect(entries.map((entry) => entry.file)).toEqual([good]);
  });
});
