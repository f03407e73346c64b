import { createWriteStream } from 'node:fs';
import { chmod, cp, lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { MANIFEST_NAME } from '../../../../../main/bundle/bundle-limits';
import { manifestSchema, type Manifest } from '../../../../../main/bundle/bundle-schema';
import { packBundle } from '../../../../../main/bundle/pack-bundle';
import { writeSampleBundle } from '../../../../../test/support/samples/sample-capture';

/** The committed sample capture. */
export const SAMPLE_ARCHIVE = resolve(__dirname, '../../../../../resources/samples/sample.civic');

// yauzl 3.3.1 has callbacks only (its types also declare promise variants it does not have).
function openArchive(path: string, options: yauzl.Options): Promise<yauzl.ZipFile> {
  return new Promise((done, fail) => yauzl.open(path, options, (error, zip) => (error ? fail(error) : done(zip))));
}

/** A temporary workspace that removes itself. */
export interface Workspace {
  readonly root: string;
  cleanup(): Promise<void>;
}

/** Creates a temporary folder for one test. */
export async function createWorkspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'civic-bundle-test-'));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** The sealed sample bundle as a folder and as a .civic file, built once per suite. */
export interface SampleCopies {
  readonly folder: string;
  readonly archive: string;
  readonly manifest: Manifest;
}

/**
 * Writes the synthetic sample (whose content the tests know) as an archive in `root`, and unpacks it
 * beside it as a folder bundle.
 */
export async function createSampleCopies(root: string): Promise<SampleCopies> {
  const archive = join(root, 'sample.civic');
  await writeSampleBundle(join(root, 'synthetic-sealed'));
  await packBundle(join(root, 'synthetic-sealed'), archive);
  const folder = join(root, 'sample-folder');
  await extractArchive(archive, folder);
  const manifest = manifestSchema.parse(JSON.parse(await readFile(join(folder, MANIFEST_NAME), 'utf8')));
  return { folder, archive, manifest };
}

/** Unpacks a trusted test archive into a folder (yauzl's own name checks apply). */
export async function extractArchive(archive: string, folder: string): Promise<void> {
  const zip = await openArchive(archive, { lazyEntries: true, autoClose: false, strictFileNames: true });
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | null>((done, fail) => {
        zip.once('entry', (next: yauzl.Entry) => done(next));
        zip.once('end', () => done(null));
        zip.once('error', fail);
        zip.readEntry();
      });
      zip.removeAllListeners('entry');
      zip.removeAllListeners('end');
      zip.removeAllListeners('error');
      if (!entry) break;
      const target = join(folder, entry.fileName);
      if (entry.fileName.endsWith('/')) {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      const stream = await new Promise<NodeJS.ReadableStream>((done, fail) =>
        zip.openReadStream(entry, (error, readable) => (error ? fail(error) : done(readable))),
      );
      await pipeline(stream, createWriteStream(target));
    }
  } finally {
    zip.close();
  }
}

/** A writable copy of a bundle folder that a test may damage. */
export async function copyFolder(source: string, target: string): Promise<string> {
  await cp(source, target, { recursive: true });
  await makeWritable(target);
  return target;
}

async function makeWritable(folder: string): Promise<void> {
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) await makeWritable(path);
    else if (entry.isFile()) await chmod(path, 0o644);
  }
}

/** Flips one byte of a file in place (the middle one unless told). */
export async function flipByte(path: string, at?: number): Promise<void> {
  const bytes = await readFile(path);
  const index = at ?? Math.floor(bytes.length / 2);
  bytes[index] = (bytes[index] ?? 0) ^ 0xff;
  await chmod(path, 0o644);
  await writeFile(path, bytes);
}

/** Rewrites a folder bundle's manifest through a function (leaving the custody seal stale). */
export async function rewriteManifest(folder: string, change: (manifest: Record<string, unknown>) => void): Promise<void> {
  const path = join(folder, MANIFEST_NAME);
  const manifest = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  change(manifest);
  await chmod(path, 0o644);
  await writeFile(path, JSON.stringify(manifest, null, 2) + '\n');
}

/** Where each entry's stored data starts and how long it is, read from the archive itself. */
export async function entryDataRanges(archive: string): Promise<Map<string, { start: number; length: number }>> {
  const zip = await openArchive(archive, { lazyEntries: true, autoClose: false });
  const bytes = await readFile(archive);
  const ranges = new Map<string, { start: number; length: number }>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      const header = entry.relativeOffsetOfLocalHeader;
      const start = header + 30 + bytes.readUInt16LE(header + 26) + bytes.readUInt16LE(header + 28);
      ranges.set(entry.fileName, { start, length: entry.compressedSize });
      zip.readEntry();
    });
    zip.once('end', () => resolve());
    zip.once('error', reject);
    zip.readEntry();
  });
  zip.close();
  return ranges;
}

/** Every path under a folder with its size and mode: compare two snapshots to see nothing was written. */
export async function snapshotTree(folder: string): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      const stats = await lstat(path);
      lines.push(`${relative(folder, path)} ${stats.mode.toString(8)} ${stats.isDirectory() ? '-' : stats.size} ${stats.mtimeMs}`);
      if (entry.isDirectory()) await walk(path);
    }
  };
  await walk(folder);
  return lines.sort();
}
