import { toGuestText } from './guest-text';

/** An entry name or path made safe to print in a message (escaped, capped at 256 characters). */
export function visibleName(name: string | Uint8Array): string {
  return toGuestText(name, { maxChars: 256 }).text;
}
