import type { GuestString } from '../bundle/bundle-schema';

/**
 * The text of a guest string for matching: UTF-8 as is, other bytes decoded with replacement
 * characters.
 *
 * Only for rules to look at; what is stored and shown keeps the original bytes.
 */
export function guestStringText(value: GuestString | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return Buffer.from(value.b64, 'base64').toString('utf8');
}
