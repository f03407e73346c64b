/**
 * Matches one OpenSSH pattern (`*` any run, `?` exactly one character) against a name.
 *
 * Case-insensitive, as OpenSSH lower-cases host names before matching.
 */
export function matchPattern(pattern: string, text: string): boolean {
  const source = pattern
    .toLowerCase()
    .split('')
    .map((character) => {
      if (character === '*') return '.*';
      if (character === '?') return '.';
      return character.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`, 's').test(text.toLowerCase());
}

/**
 * Matches a comma-separated OpenSSH pattern list, where a matching `!pattern` vetoes the whole list.
 */
export function matchPatternList(patterns: readonly string[], text: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (matchPattern(pattern.slice(1), text)) return false;
    } else if (matchPattern(pattern, text)) {
      matched = true;
    }
  }
  return matched;
}

/** True when a pattern names exactly one host (no wildcards, no negation). */
export function isLiteralPattern(pattern: string): boolean {
  return !/[*?!]/.test(pattern) && pattern.length > 0;
}

/** Lower-cases ASCII letters only, as OpenSSH's tolower() in the C locale does. */
export function asciiLower(text: string): string {
  if (!/[A-Z]/.test(text)) return text;
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}
