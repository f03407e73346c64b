import { WorkbenchFailure } from '../errors';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Tracks JSON nesting over a byte stream without parsing it.
 *
 * Runs before `JSON.parse` so a 2000-deep document is refused with BUNDLE_DOCUMENT_TOO_DEEP instead of
 * exhausting the stack. Brackets inside strings do not count; UTF-8 continuation bytes are all >= 0x80
 * and so never look like structure.
 */
export class JsonDepthScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(
    private readonly maxDepth: number,
    private readonly subject: string,
  ) {}

  /** Scans the next chunk; throws BUNDLE_DOCUMENT_TOO_DEEP as soon as the cap is passed. */
  feed(chunk: Uint8Array): void {
    for (const byte of chunk) {
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
      } else if (byte === QUOTE) {
        this.inString = true;
      } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
        this.depth += 1;
        if (this.depth > this.maxDepth) {
          throw new WorkbenchFailure(
            'BUNDLE_DOCUMENT_TOO_DEEP',
            `${this.subject} nests deeper than ${this.maxDepth} levels.`,
            { subject: this.subject },
          );
        }
      } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
        this.depth = Math.max(0, this.depth - 1);
      }
    }
  }
}
