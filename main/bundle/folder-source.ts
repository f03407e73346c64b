import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { WorkbenchFailure } from '../errors';
import { MAX_ENTRIES, MAX_PATH_SEGMENTS } from './bundle-limits';
import type { BundleEntry, BundleSource } from './bundle-source';
import { checkEntryName } from './entry-name';
import { visibleName } from './visible-name';

// Refuse to follow a link at the last path component even if one appears after the walk.
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

function linkRefused(name: string): WorkbenchFailure {
  const shown = visibleName(name);
  return new WorkbenchFailure('BUNDLE_LINK_ENTRY', `The bundle holds ${shown}, which is a link or special file, not a regular file.`, {
    subject: shown,
  });
}

/**
 * Lists a bundle folder with `lstat` semantics: links, sockets, devices and FIFOs are refused, never
 * followed.
 */
export async function openFolderSource(root: string): Promise<BundleSource> {
  const entries = new Map<string, BundleEntry>();

  const walk = async (relative: string, depth: number): Promise<void> => {
    const children = await readdir(relative === '' ? root : join(root, relative), { withFileTypes: true });
    for (const child of children) {
      const name = relative === '' ? child.name : `${relative}/${child.name}`;
      checkEntryName(name);
      if (entries.size >= MAX_ENTRIES) {
        throw new WorkbenchFailure('BUNDLE_UNREADABLE', `The bundle holds more than ${MAX_ENTRIES} entries.`);
      }
      if (child.isDirectory()) {
        entries.set(name, { name, kind: 'folder', size: 0 });
        if (depth + 1 < MAX_PATH_SEGMENTS) await walk(name, depth + 1);
      } else if (child.isFile()) {
        entries.set(name, { name, kind: 'file', size: -1 });
      } else {
        throw linkRefused(name);
      }
    }
  };
  await walk('', 0);

  // Sizes come from the open file itself (below), so the listing only needs them for comparison.
  for (const entry of entries.values()) {
    if (entry.kind !== 'file') continue;
    const handle = await openNoFollow(root, entry.name);
    try {
      const stats = await handle.stat();
      entries.set(entry.name, { ...entry, size: stats.size });
    } finally {
      await handle.close();
    }
  }

  return {
    form: 'folder',
    path: root,
    entries,
    async openRead(name: string): Promise<Readable> {
      const handle = await openNoFollow(root, name);
      return handle.createReadStream({ autoClose: true });
    },
    async close() {},
  };
}

async function openNoFollow(root: string, name: string): Promise<import('node:fs/promises').FileHandle> {
  let handle;
  try {
    handle = await open(join(root, name), constants.O_RDONLY | NO_FOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw linkRefused(name);
    throw error;
  }
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw linkRefused(name);
  }
  return handle;
}
