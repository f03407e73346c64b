import type { GuestText } from '../../preload/api';

/** How guest bytes are made safe to show. */
export interface GuestTextOptions {
  /** Cap on the escaped text, in UTF-16 code units (default 4096). */
  readonly maxChars?: number;
  /** Keep line feeds as they are (finding details); otherwise they show as `\x0a`. */
  readonly multiline?: boolean;
}

/** The longest guest text shown by default. */
export const GUEST_TEXT_MAX_CHARS = 4096;

/** A guest string as bundles store it: plain when it was valid UTF-8, else its bytes in base64. */
export type GuestStringValue = string | { readonly b64: string };

// Printable ASCII except the backslash (which escapes as two characters).
const PLAIN = /^[\x20-\x5b\x5d-\x7e]*$/;

type Piece = { readonly codePoint: number } | { readonly badByte: number };

// Characters that reorder or hide text: bidi embeddings, overrides and isolates, marks, zero-width
// characters and line separators. Shown escaped so a name cannot pretend to be something else.
const INVISIBLE = new Set([0x00ad, 0x061c, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x2028, 0x2029, 0x2060, 0xfeff]);

function isInvisible(codePoint: number): boolean {
  return (
    INVISIBLE.has(codePoint) ||
    (codePoint >= 0x202a && codePoint <= 0x202e) ||
    (codePoint >= 0x2066 && codePoint <= 0x2069) ||
    (codePoint >= 0xd800 && codePoint <= 0xdfff)
  );
}

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}

function escapePiece(piece: Piece, multiline: boolean): string {
  if ('badByte' in piece) return `\\x${hex(piece.badByte, 2)}`;
  const codePoint = piece.codePoint;
  if (codePoint === 0x5c) return '\\\\';
  if (codePoint === 0x0a && multiline) return '\n';
  if (codePoint < 0x20 || codePoint === 0x7f) return `\\x${hex(codePoint, 2)}`;
  if ((codePoint >= 0x80 && codePoint <= 0x9f) || isInvisible(codePoint)) return `\\u${hex(codePoint, 4)}`;
  return String.fromCodePoint(codePoint);
}

function* piecesOfString(text: string): Generator<Piece> {
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        yield { codePoint: 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00) };
        index += 1;
        continue;
      }
    }
    // A lone surrogate stays a surrogate code point and is escaped by `isInvisible`.
    yield { codePoint: unit };
  }
}

// A strict UTF-8 decoder that reports each invalid byte instead of replacing it with U+FFFD, so
// `\xff` in the guest shows as `\xff` and not as a character the guest never wrote.
function* piecesOfBytes(bytes: Uint8Array): Generator<Piece> {
  let index = 0;
  while (index < bytes.length) {
    const first = bytes[index] ?? 0;
    let length = 0;
    let minimum = 0;
    let codePoint = 0;
    if (first < 0x80) {
      yield { codePoint: first };
      index += 1;
      continue;
    } else if (first >= 0xc2 && first <= 0xdf) {
      length = 2;
      minimum = 0x80;
      codePoint = first & 0x1f;
    } else if (first >= 0xe0 && first <= 0xef) {
      length = 3;
      minimum = 0x800;
      codePoint = first & 0x0f;
    } else if (first >= 0xf0 && first <= 0xf4) {
      length = 4;
      minimum = 0x10000;
      codePoint = first & 0x07;
    }
    let valid = length > 0 && index + length <= bytes.length;
    for (let offset = 1; valid && offset < length; offset += 1) {
      const next = bytes[index + offset] ?? 0;
      if ((next & 0xc0) !== 0x80) valid = false;
      else codePoint = (codePoint << 6) | (next & 0x3f);
    }
    if (valid && (codePoint < minimum || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff))) valid = false;
    if (valid) {
      yield { codePoint };
      index += length;
    } else {
      yield { badByte: first };
      index += 1;
    }
  }
}

/** The raw bytes or text of a stored guest string. */
export function guestStringContent(value: GuestStringValue): string | Uint8Array {
  return typeof value === 'string' ? value : Buffer.from(value.b64, 'base64');
}

/**
 * Makes guest text safe to show.
 *
 * Control characters, ANSI escapes, NUL, invalid UTF-8 bytes, bidi and zero-width characters become
 * visible escapes (`\x1b`, `\x00`, `\xff`, `\u202e`); a backslash shows as `\\` so the escapes cannot be
 * forged. The result is capped at `maxChars` with `truncated: true`.
 */
export function toGuestText(value: GuestStringValue | Uint8Array, options: GuestTextOptions = {}): GuestText {
  const maxChars = options.maxChars ?? GUEST_TEXT_MAX_CHARS;
  const multiline = options.multiline ?? false;
  const content = value instanceof Uint8Array ? value : guestStringContent(value);
  // Most guest strings are printable ASCII without a backslash: nothing to escape, and each character
  // shows as itself, so the cap is a plain slice. A capture of 100k processes opens seconds faster.
  if (typeof content === 'string' && PLAIN.test(content)) {
    return content.length > maxChars ? { text: content.slice(0, maxChars), truncated: true } : { text: content };
  }
  const pieces = typeof content === 'string' ? piecesOfString(content) : piecesOfBytes(content);
  let text = '';
  for (const piece of pieces) {
    const shown = escapePiece(piece, multiline);
    if (text.length + shown.length > maxChars) return { text, truncated: true };
    text += shown;
  }
  return { text };
}

/** Shortcut for places that only print: the escaped text alone. */
export function safeText(value: GuestStringValue | Uint8Array, maxChars = GUEST_TEXT_MAX_CHARS): string {
  return toGuestText(value, { maxChars }).text;
}
