import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../../main/storage/atomic-write';
import { createRecentCaptures } from '../../../../main/storage/recent-captures';
import { TEMP_FOLDER_MARKER, useTempFolders } from '../../../support/temp-folders';

const tempFolder = useTempFolders('civic-storage');

describe('writeFileAtomic', () => {
  it('replaces the file whole, leaves no temporary file and keeps it private', async () => {
    const folder = tempFolder();
    const file = join(folder, 'hosts.json');
    writeFileSync(file, 'old');
    await writeFileAtomic(file, 'new content');
    expect(readFileSync(file, 'utf8')).toBe('new content');
    // The folder's owner marker is the test harness's own file, not one the write left.
    expect(readdirSync(folder).filter((name) => name !== TEMP_FOLDER_MARKER)).toEqual(['hosts.json']);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('recent captures', () => {
  it('keeps the newest first without duplicates, and survives a damaged file', async () => {
    const folder = tempFolder();
    const recent = createRecentCaptures(folder, 3);
    for (const name of ['a', 'b', 'a', 'c', 'd']) await recent.add({ path: `/${name}.civic`, title: name, openedAt: '2026-01-01T00:00:00Z' });
    expect((await recent.list()).map((entry) => entry.title)).toEqual(['d', 'c', 'a']);
    writeFileSync(join(folder, 'recent-captures.json'), '{"version":1,"captures":[{"path":');
    expect(await recent.list()).toEqual([]);
  });
});
