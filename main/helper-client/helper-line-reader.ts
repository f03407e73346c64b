import { WorkbenchFailure } from '../errors';
import { maxHelperLineBytes } from './helper-messages';

/** Splits a byte stream into complete lines and counts the bytes consumed, for resuming by offset. */
export interface LineReader {
  /** Feeds a chunk; returns the complete lines in it (without their newline). */
  push(chunk: Buffer): string[];
  /** Bytes of complete lines seen so far, counted from the offset the reader started at. */
  readonly offset: number;
}

/**
 * Creates a reader starting at byte `startOffset` of the helper's output file.
 *
 * Only complete lines advance `offset`, so a resume from it never starts in the middle of a line.
 */
export function createLineReader(startOffset: number): LineReader {
  let pending: Buffer = Buffer.alloc(0);
  let offset = startOffset;
  return {
    push(chunk) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const lines: string[] = [];
      let start = 0;
      for (let newline = pending.indexOf(0x0a, start); newline !== -1; newline = pending.indexOf(0x0a, start)) {
        lines.push(pending.subarray(start, newline).toString('utf8'));
        offset += newline + 1 - start;
        start = newline + 1;
      }
      pending = pending.subarray(start);
      if (pending.length > maxHelperLineBytes) {
        throw new WorkbenchFailure('HELPER_FAILED', 'The helper wrote a line longer than the protocol allows.');
      }
      return lines;
    },
    get offset() {
      return offset;
    },
  };
}
