import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { currentOwner, ownerEnded, removeLeftoverTempFolders, TEMP_FOLDER_MARKER, useTempFolders } from '../../../support/temp-folders';

const parents: string[] = [];
afterEach(() => {
  for (const parent of parents.splice(0)) rmSync(parent, { recursive: true, force: true });
});

function parent(): string {
  const folder = mkdtempSync(join(tmpdir(), 'civic-sweep-parent-'));
  parents.push(folder);
  return folder;
}

function folderWith(parentFolder: string, name: string, marker: unknown): string {
  const folder = join(parentFolder, name);
  mkdirSync(folder);
  if (marker !== undefined) writeFileSync(join(folder, TEMP_FOLDER_MARKER), JSON.stringify(marker));
  return folder;
}

/** The owner record of a process that has exited. */
function endedOwner(): { pid: number; start: string } {
  const child = spawnSync('sh', ['-c', 'echo $$; cut -d" " -f22 /proc/$$/stat'], { encoding: 'utf8' });
  const [pid, start] = child.stdout.trim().split('\n');
  return { pid: Number(pid), start: start ?? '' };
}

describe('test temp folders', () => {
  it('removes only marked folders of the prefix whose owner has ended', () => {
    const root = parent();
    const stale = folderWith(root, 'civic-x-stale', endedOwner());
    const live = folderWith(root, 'civic-x-live', currentOwner());
    const unmarked = folderWith(root, 'civic-x-unmarked', undefined);
    const otherPrefix = folderWith(root, 'civic-y-stale', endedOwner());

    expect(removeLeftoverTempFolders('civic-x', root)).toEqual([stale]);
    expect(existsSync(stale)).toBe(false);
    for (const kept of [live, unmarked, otherPrefix]) expect(existsSync(kept), kept).toBe(true);
  });

  it('tells a reused PID from its owner by the start time', () => {
    const me = currentOwner();
    expect(ownerEnded(me)).toBe(false);
    expect(ownerEnded({ pid: me.pid, start: '1' })).toBe(true);
  });

  const makeFolder = useTempFolders('civic-sweep-self');
  it('marks each folder it makes with this process', () => {
    const folder = makeFolder();
    expect(JSON.parse(readFileSync(join(folder, TEMP_FOLDER_MARKER), 'utf8'))).toEqual(currentOwner());
  });
});
