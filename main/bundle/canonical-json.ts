/** A JSON value as canonical JSON handles it. */
export type CanonicalValue = string | number | boolean | null | readonly CanonicalValue[] | { readonly [key: string]: CanonicalValue | undefined };

/**
 * Serialises a value as canonical JSON: object keys sorted by UTF-16 code units, no whitespace.
 *
 * Strings are escaped exactly as `JSON.stringify` does; keys whose value is `undefined` are left out.
 * Numbers must be safe integers so every implementation prints them the same way.
 */
export function canonicalJson(value: CanonicalValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError('canonical JSON allows only safe integers');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item: CanonicalValue) => canonicalJson(item)).join(',')}]`;
  const record = value as { readonly [key: string]: CanonicalValue | undefined };
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item !== undefined) parts.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
  }
  return `{${parts.join(',')}}`;
}
