import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { WorkbenchFailure } from '../errors';
import type { JsonDepthScanner } from './json-depth';

/** What a digest pass over a stream saw. */
export interface StreamDigest {
  readonly sha256: string;
  readonly size: number;
}

/** Options of a digest pass. */
export interface DigestOptions {
  readonly signal?: AbortSignal;
  /** Called with each chunk's length as it passes. */
  readonly onBytes?: (count: number) => void;
  /** Keep the bytes (documents only), refusing more than `maxBytes` with BUNDLE_DOCUMENT_TOO_LARGE. */
  readonly keep?: { readonly maxBytes: number; readonly subject: string; readonly depth?: JsonDepthScanner };
  /** Scan the nesting without keeping the bytes (structured documents), refusing BUNDLE_DOCUMENT_TOO_DEEP. */
  readonly depth?: JsonDepthScanner;
  /** Stop reading once more than this many bytes arrived (the size is already known to be wrong). */
  readonly stopAfter?: number;
}

/**
 * Hashes a stream chunk by chunk, in constant memory unless asked to keep the bytes.
 *
 * Destroys the stream on abort, on a cap, or on error; throws CANCELLED when the signal fired.
 */
export async function digestStream(
  stream: Readable,
  options: DigestOptions = {},
): Promise<StreamDigest & { readonly bytes?: Buffer }> {
  const hash = createHash('sha256');
  const kept: Buffer[] = [];
  let size = 0;
  const onAbort = (): void => {
    stream.destroy(new WorkbenchFailure('CANCELLED', 'Cancelled.'));
  };
  if (options.signal?.aborted) {
    stream.destroy();
    throw new WorkbenchFailure('CANCELLED', 'Cancelled.');
  }
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (options.keep) {
        if (size > options.keep.maxBytes) {
          throw new WorkbenchFailure(
            'BUNDLE_DOCUMENT_TOO_LARGE',
            `${options.keep.subject} is larger than ${options.keep.maxBytes} bytes.`,
            { subject: options.keep.subject },
          );
        }
        options.keep.depth?.feed(chunk);
        kept.push(chunk);
      }
      options.depth?.feed(chunk);
      hash.update(chunk);
      options.onBytes?.(chunk.length);
      if (options.stopAfter !== undefined && size > options.stopAfter) break;
    }
  } catch (error) {
    if (options.signal?.aborted) throw new WorkbenchFailure('CANCELLED', 'Cancelled.');
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    stream.destroy();
  }
  if (options.signal?.aborted) throw new WorkbenchFailure('CANCELLED', 'Cancelled.');
  return { sha256: hash.digest('hex'), size, ...(options.keep ? { bytes: Buffer.concat(kept) } : {}) };
}
