import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { WorkbenchFailure } from '../errors';
import { MAX_ENTRIES } from './bundle-limits';
import type { BundleEntry, BundleSource } from './bundle-source';
import { checkEntryName, decodeEntryName } from './entry-name';
import { visibleName } from './visible-name';

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const END_RECORD_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;
const LOCAL_HEADER = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const UNIX_HOST = 3;
const FILE_TYPE_MASK = 0o170000;
const REGULAR_FILE = 0o100000;
const FOLDER = 0o040000;

/**
 * Checks that a zip file ends with its end-of-central-directory record, so a cut-off copy is named as
 * truncated rather than as some other damage.
 */
async function checkArchiveEnd(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const tailLength = Math.min(size, END_RECORD_BYTES + MAX_COMMENT_BYTES);
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    for (let offset = tailLength - END_RECORD_BYTES; offset >= 0; offset -= 1) {
      if (tail.readUInt32LE(offset) !== END_OF_CENTRAL_DIRECTORY) continue;
      // The record is only the real end when its comment reaches exactly to the end of the file.
      if (offset + END_RECORD_BYTES + tail.readUInt16LE(offset + 20) === tailLength) return;
    }
    const head = Buffer.alloc(Math.min(size, 4));
    await handle.read(head, 0, head.length, 0);
    // An empty file or one cut inside its first header is a truncated archive too.
    if (LOCAL_HEADER.subarray(0, head.length).equals(head)) {
      throw new WorkbenchFailure('BUNDLE_TRUNCATED', 'The capture file ends early: its table of contents is missing.');
    }
    throw new WorkbenchFailure('BUNDLE_NOT_A_CAPTURE', `${visibleName(path)} is not a capture: it is not a .civic archive.`, { subject: visibleName(path) });
  } finally {
    await handle.close();
  }
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(
      path,
      { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true },
      (error, zipFile) => (error ? reject(error) : resolve(zipFile)),
    );
  });
}

function readAllEntries(zipFile: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    const fail = (error: unknown): void => {
      zipFile.removeAllListeners('entry');
      reject(error);
    };
    zipFile.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      if (entries.length > MAX_ENTRIES) {
        fail(new WorkbenchFailure('BUNDLE_UNREADABLE', `The capture holds more than ${MAX_ENTRIES} entries.`));
        return;
      }
      zipFile.readEntry();
    });
    zipFile.once('end', () => resolve(entries));
    zipFile.once('error', fail);
    zipFile.readEntry();
  });
}

/** The type bits of an entry, when its attributes carry a unix mode. */
function unixFileType(entry: yauzl.Entry): number {
  const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
  if (entry.versionMadeBy >>> 8 !== UNIX_HOST && mode === 0) return 0;
  return mode & FILE_TYPE_MASK;
}

function describeEntry(entry: yauzl.Entry): BundleEntry {
  const raw = decodeEntryName(entry.fileNameRaw);
  const isFolder = raw.endsWith('/');
  const name = checkEntryName(raw, true);
  const shown = visibleName(name);
  const fileType = unixFileType(entry);
  if (fileType !== 0 && fileType !== (isFolder ? FOLDER : REGULAR_FILE)) {
    throw new WorkbenchFailure('BUNDLE_LINK_ENTRY', `The capture holds ${shown}, which is a link or special file, not a regular file.`, {
      subject: shown,
    });
  }
  if (entry.isEncrypted() || !entry.canDecodeFileData()) {
    throw new WorkbenchFailure('BUNDLE_UNREADABLE', `The capture entry ${shown} is encrypted or uses an unsupported compression.`, {
      subject: shown,
    });
  }
  if (isFolder && entry.uncompressedSize !== 0) {
    throw new WorkbenchFailure('BUNDLE_UNREADABLE', `The capture folder entry ${shown} has content.`, { subject: shown });
  }
  return { name, kind: isFolder ? 'folder' : 'file', size: entry.uncompressedSize };
}

/**
 * Opens a `.civic` archive with yauzl and lists it without extracting anything.
 *
 * Names are decoded and checked here (yauzl's own decoding is off so every name goes through the same
 * checks as the folder form); entries are read later as streams.
 */
export async function openZipSource(path: string): Promise<BundleSource> {
  await checkArchiveEnd(path);
  let zipFile: yauzl.ZipFile;
  try {
    zipFile = await openZip(path);
  } catch (error) {
    throw new WorkbenchFailure('BUNDLE_UNREADABLE', 'The capture archive is damaged: its table of contents cannot be read.', {
      cause: error,
    });
  }
  // Later errors reach the entry streams; without a listener an 'error' event would crash the process.
  zipFile.on('error', () => undefined);
  const byName = new Map<string, yauzl.Entry>();
  const entries = new Map<string, BundleEntry>();
  try {
    let rawEntries: yauzl.Entry[];
    try {
      rawEntries = await readAllEntries(zipFile);
    } catch (error) {
      if (error instanceof WorkbenchFailure) throw error;
      throw new WorkbenchFailure('BUNDLE_UNREADABLE', 'The capture archive is damaged: an entry of its table of contents is invalid.', {
        cause: error,
      });
    }
    for (const raw of rawEntries) {
      const entry = describeEntry(raw);
      if (entries.has(entry.name)) {
        const shown = visibleName(entry.name);
        throw new WorkbenchFailure('BUNDLE_DUPLICATE_ENTRY', `The capture holds ${shown} twice.`, { subject: shown });
      }
      entries.set(entry.name, entry);
      byName.set(entry.name, raw);
    }
  } catch (error) {
    zipFile.close();
    throw error;
  }

  return {
    form: 'zip',
    path,
    entries,
    openRead(name: string): Promise<Readable> {
      const entry = byName.get(name);
      if (!entry) return Promise.reject(new WorkbenchFailure('BUNDLE_ARTIFACT_MISSING', `${visibleName(name)} is not in the archive.`));
      return new Promise((resolve, reject) => {
        zipFile.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream)));
      });
    },
    async close() {
      zipFile.close();
    },
  };
}
