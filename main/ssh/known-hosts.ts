import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { matchPatternList } from './host-pattern';

/** A marker OpenSSH puts before a known_hosts line. */
export type KnownHostMarker = 'revoked' | 'cert-authority';

/** One key line of a known_hosts file, with where it came from so the user can fix it. */
export interface KnownHostEntry {
  readonly file: string;
  /** 1-based line number in `file`. */
  readonly line: number;
  readonly marker: KnownHostMarker | null;
  /** The host field as written: a comma list of patterns, or one `|1|salt|hash`. */
  readonly hosts: string;
  readonly keyType: string;
  /** The public key blob (base64-decoded), as the server sends it. */
  readonly key: Buffer;
}

/**
 * Parses the text of a known_hosts file.
 *
 * Lines that cannot be keys (comments, blanks, malformed base64) are skipped rather than failing the
 * whole file, as OpenSSH does.
 */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostMarker | null = null;
    const first = fields[0] ?? '';
    if (first.startsWith('@')) {
      if (first === '@revoked') marker = 'revoked';
      else if (first === '@cert-authority') marker = 'cert-authority';
      else return;
      fields.shift();
    }
    const [hosts, keyType, keyBase64] = fields;
    if (hosts === undefined || keyType === undefined || keyBase64 === undefined) return;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyBase64)) return;
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length === 0 || keyTypeOf(key) !== keyType) return;
    entries.push({ file, line: index + 1, marker, hosts, keyType, key });
  });
  return entries;
}

/**
 * The name OpenSSH looks up for a host and port: `host` on port 22, `[host]:port` otherwise.
 */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

/** Hashes a host name the way `ssh-keygen -H` does: `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const digest = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${digest.toString('base64')}`;
}

function matchesHashed(field: string, name: string): boolean {
  const parts = field.split('|');
  // '|1|salt|hash' splits into ['', '1', salt, hash].
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2] ?? '', 'base64');
  const expected = Buffer.from(parts[3] ?? '', 'base64');
  const actual = createHmac('sha1', salt).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** True when a known_hosts host field names this host and port. */
export function hostFieldMatches(hosts: string, host: string, port: number): boolean {
  const name = knownHostName(host, port);
  if (hosts.startsWith('|')) return matchesHashed(hosts, name);
  return matchPatternList(hosts.split(','), name);
}

/** The key type named inside a public key blob (its first SSH string). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return '';
  const length = key.readUInt32BE(0);
  if (length > key.length - 4 || length > 64) return '';
  return key.subarray(4, 4 + length).toString('latin1');
}

/** The OpenSSH `SHA256:` fingerprint of a public key blob (base64 without padding). */
export function fingerprintSha256(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** A known_hosts line for a host, hashed like `HashKnownHosts yes` so the file does not list hosts. */
export function formatKnownHostLine(host: string, port: number, key: Buffer, options: { hashed?: boolean } = {}): string {
  const name = knownHostName(host, port);
  const field = options.hashed === false ? name : hashHostName(name);
  return `${field} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

/** Where a key stands against the known_hosts entries. */
export type HostKeyStatus =
  | { readonly kind: 'trusted'; readonly entry: KnownHostEntry }
  | { readonly kind: 'revoked'; readonly entry: KnownHostEntry }
  | { readonly kind: 'cert-authority'; readonly entry: KnownHostEntry }
  | { readonly kind: 'changed'; readonly known: readonly KnownHostEntry[] }
  | { readonly kind: 'unknown' };

/**
 * Decides what a server's key means given every known_hosts entry.
 *
 * Revocation wins over everything. A host with any known key that does not match the offered one is
 * `changed`, whatever the key type: the connection prefers the known types, so a different type
 * means the server no longer holds the key we trust.
 */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyStatus {
  const revoked = entries.find((entry) => entry.marker === 'revoked' && entry.key.equals(key));
  if (revoked) return { kind: 'revoked', entry: revoked };
  const forHost = entries.filter((entry) => entry.marker !== 'revoked' && hostFieldMatches(entry.hosts, host, port));
  const plain = forHost.filter((entry) => entry.marker === null);
  const trusted = plain.find((entry) => entry.key.equals(key));
  if (trusted) return { kind: 'trusted', entry: trusted };
  if (plain.length > 0) return { kind: 'changed', known: plain };
  const authority = forHost.find((entry) => entry.marker === 'cert-authority');
  if (authority) return { kind: 'cert-authority', entry: authority };
  return { kind: 'unknown' };
}

/** Key types known for a host, so the key exchange can prefer them (as OpenSSH does). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const types = entries
    .filter((entry) => entry.marker === null && hostFieldMatches(entry.hosts, host, port))
    .map((entry) => entry.keyType);
  return [...new Set(types)];
}
