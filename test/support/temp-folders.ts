import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** The file each test folder carries: which process made it, so a later run can prove it stale. */
export const TEMP_FOLDER_MARKER = '.civic-test-owner';

interface FolderOwner {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat: tells the owner from a later process with the same PID. */
  readonly start: string | null;
}

const sweptPrefixes = new Set<string>();

/**
 * Makes temporary folders that are removed when the test file ends.
 *
 * Call once at the top of a test file; tests then ask for as many folders as they need. Each folder
 * is marked with its owner process; the first call for a prefix in a process removes the folders of
 * that prefix left by runs that ended without their cleanup (interrupted), and says so.
 */
export function useTempFolders(prefix: string): () => string {
  if (!sweptPrefixes.has(prefix)) {
    sweptPrefixes.add(prefix);
    for (const removed of removeLeftoverTempFolders(prefix)) console.log(`test setup: removed leftover ${removed} of an ended run`);
  }
  const made: string[] = [];
  afterAll(() => {
    for (const folder of made) rmSync(folder, { recursive: true, force: true });
  });
  return () => {
    const folder = mkdtempSync(join(tmpdir(), `${prefix}-`));
    writeFileSync(join(folder, TEMP_FOLDER_MARKER), JSON.stringify(currentOwner()));
    made.push(folder);
    return folder;
  };
}

/**
 * Removes `<tmp>/<prefix>-*` folders whose marker names a process that has ended; returns their paths.
 *
 * A folder without the marker, or whose owner still runs (another test run), is left alone.
 */
export function removeLeftoverTempFolders(prefix: string, parent = tmpdir()): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(`${prefix}-`)) continue;
    const folder = join(parent, name);
    const owner = readOwner(join(folder, TEMP_FOLDER_MARKER));
    if (!owner || !ownerEnded(owner)) continue;
    rmSync(folder, { recursive: true, force: true });
    removed.push(folder);
  }
  return removed;
}

/** This process as a folder owner. */
export function currentOwner(): FolderOwner {
  return { pid: process.pid, start: processStartTime(process.pid) };
}

/** True when the owner process has ended (a reused PID has another start time). */
export function ownerEnded(owner: FolderOwner): boolean {
  return processStartTime(owner.pid) !== owner.start;
}

function readOwner(path: string): FolderOwner | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<FolderOwner>;
    return typeof parsed.pid === 'number' && Number.isInteger(parsed.pid) ? { pid: parsed.pid, start: parsed.start ?? null } : null;
  } catch {
    return null;
  }
}

function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
