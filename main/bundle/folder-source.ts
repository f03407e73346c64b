import { constants } from 'node:fs';
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { WorkbenchFailure } from '../errors';
import { MAX_ENTRIES } from './bundle-limits';
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

  // Recursion is bounded: checkEntryName refuses names deeper than MAX_PATH_SEGMENTS.
  const walk = async (relative: string): Promise<void> => {
    const children = await readdir(relative === '' ? root : join(root, relative), { withFileTypes: true });
    for (const child of children) {
      const name = relative === '' ? child.name : `${relative}/${child.name}`;
      checkEntryName(name);
      if (entries.size >= MAX_ENTRIES) {
        throw new WorkbenchFailure('BUNDLE_UNREADABLE', `The bundle holds more than ${MAX_ENTRIES} entries.`);
      }
      if (child.isDirectory()) {
        entries.set(name, { name, kind: 'folder', size: 0 });
        await walk(name);
      } else if (child.isFile()) {
        entries.set(name, { name, kind: 'file', size: -1 });
      } else {
        throw linkRefused(name);
      }
    }
  };
  await walk('');

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

async function openNoFollow(root: string, name: string): Promise<FileHandle> {
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
