import { mkdir, open, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { SFTPWrapper } from 'ssh2';
import { WorkbenchFailure, throwIfAborted, toWorkbenchError } from '../errors';
import { createLogger } from '../logging/logger';
import { sha256OfFile } from './file-digest';

const log = createLogger('capture');

/** What a download must end up as. */
export interface ExpectedFile {
  readonly size: number;
  readonly sha256: string;
}

/** Options of {@link downloadVerified}. */
export interface DownloadOptions {
  readonly signal?: AbortSignal;
  /** How many times a broken transfer is resumed before giving up. */
  readonly attempts?: number;
  /** Told the bytes on disk so far, for progress. */
  readonly onBytes?: (bytes: number) => void;
}

async function localSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * Downloads a host file over SFTP into `localPath`, resuming from the bytes already there, then checks
 * its size and SHA-256 against what the helper reported.
 *
 * A transfer that breaks (lost connection) is resumed from the local file's length with a new SFTP
 * session; a file longer than expected is cut back first. HASH or SIZE mismatches are not retried:
 * the host's file is not what the helper hashed.
 */
export async function downloadVerified(
  openSftp: () => Promise<SFTPWrapper>,
  remotePath: string,
  localPath: string,
  expected: ExpectedFile,
  options: DownloadOptions = {},
): Promise<{ readonly resumes: number }> {
  await mkdir(dirname(localPath), { recursive: true });
  // An empty artifact (a command's silent stderr) has nothing to transfer but must exist.
  await (await open(localPath, 'a', 0o600)).close();
  const attempts = options.attempts ?? 5;
  let resumes = 0;
  for (let attempt = 0; ; attempt += 1) {
    throwIfAborted(options.signal);
    let offset = await localSize(localPath);
    if (offset > expected.size) {
      await truncate(localPath, 0);
      offset = 0;
    }
    if (offset === expected.size) break;
    let sftp: SFTPWrapper | undefined;
    try {
      sftp = await openSftp();
      // Each chunk is awaited onto disk, so after a break the file's length is exactly what arrived.
      const handle = await open(localPath, offset === 0 ? 'w' : 'a', 0o600);
      try {
        let written = offset;
        const stream = sftp.createReadStream(remotePath, { start: offset });
        // The stream closes its remote handle after the last chunk; ending SFTP before that reply makes
        // ssh2 emit "No response from server" on a stream nobody listens to any more (an uncaught error).
        stream.on('error', () => undefined);
        const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          throwIfAborted(options.signal);
          for (let at = 0; at < chunk.length; ) at += (await handle.write(chunk, at, chunk.length - at)).bytesWritten;
          written += chunk.length;
          options.onBytes?.(written);
        }
        await Promise.race([closed, delay(5_000, undefined, { ref: false })]);
      } finally {
        await handle.close();
      }
      if ((await localSize(localPath)) < expected.size) {
        throw new WorkbenchFailure('BUNDLE_SIZE_MISMATCH', `${remotePath} on the host is shorter than the helper reported.`, { subject: remotePath });
      }
      break;
    } catch (error) {
      if (options.signal?.aborted) throw new WorkbenchFailure('CANCELLED', 'Cancelled while downloading.');
      if (error instanceof WorkbenchFailure && error.code === 'BUNDLE_SIZE_MISMATCH') throw error;
      if (isMissing(error)) throw new WorkbenchFailure('BUNDLE_ARTIFACT_MISSING', `${remotePath} is missing on the host.`, { subject: remotePath });
      if (attempt + 1 >= attempts) {
        throw new WorkbenchFailure('CONNECTION_LOST', `Downloading ${remotePath} failed ${attempts} times.`, { subject: remotePath, cause: error });
      }
      resumes += 1;
      log.warn(`download of ${remotePath} broke at ${await localSize(localPath)} bytes (${toWorkbenchError(error).code}); resuming`);
    } finally {
      sftp?.end();
    }
  }
  const size = await localSize(localPath);
  if (size !== expected.size) {
    throw new WorkbenchFailure('BUNDLE_SIZE_MISMATCH', `${remotePath} arrived with ${size} bytes; the helper reported ${expected.size}.`, { subject: remotePath });
  }
  const sha256 = await sha256OfFile(localPath);
  if (sha256 !== expected.sha256) {
    throw new WorkbenchFailure('BUNDLE_HASH_MISMATCH', `${remotePath} arrived with SHA-256 ${sha256}; the helper reported ${expected.sha256}.`, { subject: remotePath });
  }
  return { resumes };
}

function isMissing(error: unknown): boolean {
  // ssh2 reports SFTP status codes on `code`: 2 is NO_SUCH_FILE.
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 2;
}
