import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { WorkbenchFailure, throwIfAborted } from '../errors';
import { CUSTODY_NAME, MANIFEST_NAME, SIGNATURE_NAME } from './bundle-limits';
import { openBundle } from './bundle-reader';

/** Options of `packBundle`. */
export interface PackOptions {
  readonly signal?: AbortSignal;
  /** The time stored on every entry; defaults to the manifest's `endedAt` so packing is reproducible. */
  readonly mtime?: Date;
}

// Dumps are stored as they are: deflating gigabytes costs minutes and gains little on memory images.
const STORED_ROLES = new Set(['memory-dump', 'core-dump']);

/**
 * Packs a sealed bundle folder into a single `.civic` file (a ZIP archive).
 *
 * Verifies the folder first and refuses to pack one that does not verify. Writes a temporary file
 * beside the target and renames it into place, so a cut-off pack never looks like a capture.
 */
export async function packBundle(folder: string, outputPath: string, options: PackOptions = {}): Promise<{ size: number }> {
  const bundle = await openBundle(folder, options.signal ? { signal: options.signal } : {});
  await bundle.close();
  const problem = bundle.integrity.problems[0];
  if (problem) {
    throw new WorkbenchFailure(problem.code, `Refusing to pack a bundle that does not verify: ${problem.message}`, {
      ...(problem.subject === undefined ? {} : { subject: problem.subject }),
    });
  }
  const mtime = options.mtime ?? new Date(bundle.manifest.endedAt);
  const zip = new yazl.ZipFile();
  const add = (name: string, compress: boolean): void => {
    zip.addReadStreamLazy(name, { mtime, mode: 0o100444, compress }, (callback) => {
      callback(null, createReadStream(join(folder, ...name.split('/'))));
    });
  };
  add(MANIFEST_NAME, true);
  add(CUSTODY_NAME, true);
  if (bundle.integrity.signature?.state !== 'unsigned') add(SIGNATURE_NAME, true);
  for (const artifact of bundle.manifest.artifacts) add(artifact.path, !STORED_ROLES.has(artifact.role));
  zip.end();

  const temporary = join(dirname(outputPath), `.${basename(outputPath)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    throwIfAborted(options.signal);
    await pipeline(zip.outputStream, createWriteStream(temporary, { flags: 'wx', mode: 0o644 }), {
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const handle = await open(temporary, 'r');
    let size: number;
    try {
      await handle.sync();
      size = (await handle.stat()).size;
    } finally {
      await handle.close();
    }
    await rename(temporary, outputPath);
    return { size };
  } catch (error) {
    await rm(temporary, { force: true });
    if (options.signal?.aborted) throw new WorkbenchFailure('CANCELLED', 'Cancelled.');
    throw error;
  }
}
