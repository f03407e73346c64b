/**
 * Removes secrets from text before it is written anywhere.
 *
 * The one redaction function: every log line and every error detail passes through it. It removes
 * private key blocks, `password=...`-style pairs, bearer tokens, the web mode token and any value
 * registered at run time (passphrases typed by the user, per-launch tokens).
 */
const registered = new Set<string>();

const patterns: ReadonlyArray<readonly [RegExp, string]> = [
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, '[redacted private key]'],
  [/\b(password|passphrase|passwd|secret|token|api[_-]?key)(\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi, '$1$2[redacted]'],
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/g, '$1 [redacted]'],
  [/([?&](?:token|key|password)=)[^&\s#]+/gi, '$1[redacted]'],
];

/** Registers a secret known at run time (a typed passphrase, a session token) for redaction. */
export function registerSecret(secret: string): void {
  if (secret.length >= 4) registered.add(secret);
}

/** Forgets a secret registered before, once it is no longer in use. */
export function forgetSecret(secret: string): void {
  registered.delete(secret);
}

/** Returns the text with every secret replaced by a marker. */
export function redact(text: string): string {
  let out = text;
  for (const secret of registered) out = out.split(secret).join('[redacted]');
  for (const [pattern, replacement] of patterns) out = out.replace(pattern, replacement);
  return out;
}
