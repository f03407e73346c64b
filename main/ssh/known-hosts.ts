import { createHash, createHmac, randomBytes } from 'node:crypto';
import { asciiLower } from '../hosts/host-pattern';

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

/** OpenSSH's field separators in known_hosts: space and tab only (not NBSP, VT, CR or a BOM). */
function isFieldSpace(character: string | undefined): boolean {
  return character === ' ' || character === '\t';
}

/** C's isspace() in the C locale, which OpenSSH's base64 decoder skips inside a key blob. */
function isCSpace(character: string): boolean {
  return character === ' ' || character === '\t' || character === '\n' || character === '\v' || character === '\f' || character === '\r';
}

/**
 * Decodes base64 the way OpenSSH's b64_pton does: whitespace inside is skipped, anything else outside
 * the alphabet fails, and the data must end on a byte boundary with correct padding.
 */
export function decodeOpenSshBase64(text: string): Buffer | null {
  const clean = [...text].filter((character) => !isCSpace(character)).join('');
  if (!/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(clean) || clean.length % 4 !== 0) return null;
  return Buffer.from(clean, 'base64');
}

/** Key type names OpenSSH reads in known_hosts (sshkey.c's table, certificates included). */
const knownKeyTypeNames = new Set([
  'ssh-ed25519',
  'ssh-ed25519-cert-v01@openssh.com',
  'sk-ssh-ed25519@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ssh-rsa',
  'ssh-rsa-cert-v01@openssh.com',
  'ssh-dss',
  'ssh-dss-cert-v01@openssh.com',
]);

/** Reads the SSH strings of a blob (uint32 length + bytes each); null when the blob is not made of them. */
function sshStrings(blob: Buffer, count: number): Buffer[] | null {
  const strings: Buffer[] = [];
  let offset = 0;
  for (let index = 0; index < count; index += 1) {
    if (offset + 4 > blob.length) return null;
    const length = blob.readUInt32BE(offset);
    if (length > blob.length - offset - 4) return null;
    strings.push(blob.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return offset === blob.length ? strings : null;
}

/**
 * True when a blob is a key of the named type, as far as OpenSSH checks before using a line: the
 * name matches the blob's own, an Ed25519 key is 32 bytes, an ECDSA key names its own curve.
 */
function blobFitsType(keyType: string, blob: Buffer): boolean {
  if (!knownKeyTypeNames.has(keyType) || keyTypeOf(blob) !== keyType) return false;
  if (keyType === 'ssh-ed25519') return sshStrings(blob, 2)?.[1]?.length === 32;
  const curve = /^ecdsa-sha2-(nistp\d+)$/.exec(keyType)?.[1];
  if (curve !== undefined) return sshStrings(blob, 3)?.[1]?.toString('latin1') === curve;
  return true;
}

/** A known_hosts line split as OpenSSH splits it, before its key is read. */
export interface KnownHostFields {
  readonly marker: KnownHostMarker | null;
  readonly hosts: string;
  /** What follows the host field: `type base64 [comment]`. */
  readonly rest: string;
}

/**
 * Splits one line (without its `\n`) into marker, host field and the rest, as hostfile.c does.
 *
 * Null for blank lines, comments and bad markers. Only space and tab separate fields, so a line
 * using a no-break space, a vertical tab or starting with a BOM has a host field no name matches.
 */
export function splitKnownHostLine(raw: string): KnownHostFields | null {
  let start = 0;
  while (isFieldSpace(raw[start])) start += 1;
  if (start >= raw.length || raw[start] === '#') return null;
  let marker: KnownHostMarker | null = null;
  // check_markers(): the marker ends at the first space in the line, or failing that the first tab.
  while (raw[start] === '@') {
    if (marker !== null) return null;
    let end = raw.indexOf(' ', start);
    if (end === -1) end = raw.indexOf('\t', start);
    if (end === -1 || end <= start + 1 || end - start >= 256) return null;
    const symbol = raw.slice(start, end);
    if (symbol === '@cert-authority') marker = 'cert-authority';
    else if (symbol === '@revoked') marker = 'revoked';
    else return null;
    start = end;
    while (isFieldSpace(raw[start])) start += 1;
  }
  let end = start;
  while (end < raw.length && !isFieldSpace(raw[end])) end += 1;
  return { marker, hosts: raw.slice(start, end), rest: raw.slice(end + 1) };
}

/**
 * Reads the key part of a line (`type base64 [comment]`) as sshkey_read() does; null when invalid.
 */
export function readKnownHostKey(rest: string): { keyType: string; key: Buffer } | null {
  let start = 0;
  while (isFieldSpace(rest[start])) start += 1;
  if (start >= rest.length || rest[start] === '#') return null;
  let typeEnd = start;
  while (typeEnd < rest.length && !isFieldSpace(rest[typeEnd])) typeEnd += 1;
  // sshkey_read() wants whitespace after the type name.
  if (typeEnd >= rest.length) return null;
  const keyType = rest.slice(start, typeEnd);
  let blobStart = typeEnd;
  while (isFieldSpace(rest[blobStart])) blobStart += 1;
  if (blobStart >= rest.length) return null;
  let blobEnd = blobStart;
  while (blobEnd < rest.length && !isFieldSpace(rest[blobEnd])) blobEnd += 1;
  const key = decodeOpenSshBase64(rest.slice(blobStart, blobEnd));
  if (key === null || key.length === 0 || !blobFitsType(keyType, key)) return null;
  return { keyType, key };
}

/**
 * Parses one known_hosts line (without its `\n`) into an entry, or null when OpenSSH would not use it.
 */
export function parseKnownHostLine(raw: string, file: string, line: number): KnownHostEntry | null {
  const fields = splitKnownHostLine(raw);
  if (fields === null) return null;
  const key = readKnownHostKey(fields.rest);
  if (key === null) return null;
  return { file, line, marker: fields.marker, hosts: fields.hosts, ...key };
}

/**
 * Parses the text of a known_hosts file (decoded as latin1, byte for byte, as OpenSSH sees it).
 *
 * Lines are split on `\n` only; a `\r` before it stays in the line, where OpenSSH's base64 decoder
 * skips it. Lines OpenSSH would not use (comments, blanks, malformed keys) are skipped.
 */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const entry = parseKnownHostLine(raw, file, index + 1);
    if (entry !== null) entries.push(entry);
  });
  return entries;
}

/**
 * The name OpenSSH looks up for a host and port: `host` on port 22, `[host]:port` otherwise.
 */
export function knownHostName(host: string, port: number): string {
  const lower = asciiLower(host);
  return port === 22 ? lower : `[${lower}]:${port}`;
}

/** Hashes a host name the way `ssh-keygen -H` does: `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const digest = createHmac('sha1', salt).update(name, 'latin1').digest();
  return `|1|${salt.toString('base64')}|${digest.toString('base64')}`;
}

/**
 * match_maybe_hashed() for several names: the whole field must equal a name hashed with the
 * field's own salt. OpenSSH re-encodes the salt it decoded, so only a canonical 20-byte salt can
 * match. The hashes are public (they sit in the file), so a plain comparison leaks nothing.
 */
function matchesHashedAny(field: string, names: readonly string[]): boolean {
  if (!field.startsWith('|1|')) return false;
  const saltEnd = field.indexOf('|', 3);
  if (saltEnd === -1) return false;
  const saltText = field.slice(3, saltEnd);
  const salt = Buffer.from(saltText, 'base64');
  if (salt.length !== 20 || salt.toString('base64') !== saltText) return false;
  const written = field.slice(saltEnd + 1);
  return names.some((name) => createHmac('sha1', salt).update(name, 'latin1').digest('base64') === written);
}

function matchesHashed(field: string, name: string): boolean {
  return matchesHashedAny(field, [name]);
}

/** OpenSSH's match_pattern(): `*` any run, `?` one character; the text is already lower-case. */
function globMatches(pattern: string, text: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === text;
  // Iterative wildcard matching with one backtrack point, linear enough for known_hosts patterns.
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p += 1;
      t += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      mark = t;
      p += 1;
    } else if (star !== -1) {
      p = star + 1;
      mark += 1;
      t = mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p += 1;
  return p === pattern.length;
}

/** match_hostname(): a comma list where a matching `!pattern` vetoes the line. */
function patternListMatches(field: string, name: string): boolean {
  return patternsMatch(asciiLower(field).split(','), name);
}

function patternsMatch(patterns: readonly string[], name: string): boolean {
  let positive = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    if (globMatches(negated ? raw.slice(1) : raw, name)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

/** True when a known_hosts host field names exactly this lookup name (`host` or `[host]:port`). */
export function hostFieldMatchesName(hosts: string, name: string): boolean {
  if (hosts.startsWith('|')) return matchesHashed(hosts, name);
  return patternListMatches(hosts, name);
}

/** True when a host field names any of `names`; splits the field once, for reading large files. */
export function hostFieldMatchesAny(hosts: string, names: readonly string[]): boolean {
  if (hosts.startsWith('|')) return matchesHashedAny(hosts, names);
  const lower = asciiLower(hosts);
  // Most lines name one literal host: compare it without splitting or pattern matching.
  if (!/[,*?!]/.test(lower)) return names.includes(lower);
  const patterns = lower.split(',');
  return names.some((name) => patternsMatch(patterns, name));
}

/** True when a known_hosts host field names this host and port. */
export function hostFieldMatches(hosts: string, host: string, port: number): boolean {
  return hostFieldMatchesName(hosts, knownHostName(host, port));
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
  return formatKnownHostLineFor(knownHostName(host, port), key, options);
}

/** A known_hosts line for a lookup name as is (a HostKeyAlias, `[host]:port`), hashed unless asked not to. */
export function formatKnownHostLineFor(name: string, key: Buffer, options: { hashed?: boolean } = {}): string {
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

/** The names a connection is looked up under, as sshconnect.c builds them. */
export interface HostKeyNames {
  /** `HostKeyAlias` (as is, without a port), else `host` or `[host]:port`. */
  readonly primary: string;
  /** The bare host, tried only when `primary` is `[host]:port` with no alias and knows nothing. */
  readonly withoutPort?: string;
}

/** The lookup names for a host, port and optional HostKeyAlias. */
export function hostKeyNames(host: string, port: number, hostKeyAlias?: string): HostKeyNames {
  if (hostKeyAlias !== undefined) return { primary: asciiLower(hostKeyAlias) };
  const primary = knownHostName(host, port);
  return port === 22 ? { primary } : { primary, withoutPort: knownHostName(host, 22) };
}

type PlainStatus = { readonly kind: 'trusted'; readonly entry: KnownHostEntry } | { readonly kind: 'changed'; readonly known: readonly KnownHostEntry[] } | { readonly kind: 'unknown' };

/** check_hostkeys_by_key_or_type() for plain keys: a match wins, any other key means changed. */
function plainStatus(entries: readonly KnownHostEntry[], name: string, key: Buffer): PlainStatus {
  const plain = entries.filter((entry) => entry.marker === null && hostFieldMatchesName(entry.hosts, name));
  const trusted = plain.find((entry) => entry.key.equals(key));
  if (trusted) return { kind: 'trusted', entry: trusted };
  return plain.length > 0 ? { kind: 'changed', known: plain } : { kind: 'unknown' };
}

/**
 * Decides what a server's key means given every known_hosts entry, as OpenSSH's check_host_key().
 *
 * The primary name decides; only when it knows no key at all is the bare host tried, and only a
 * match there counts (a different key under the bare name leaves the host unknown, as in OpenSSH).
 * Deliberately stricter than OpenSSH: a key marked `@revoked` for any host is refused, since a
 * revoked key is compromised wherever it appears.
 */
export function decideHostKey(entries: readonly KnownHostEntry[], names: HostKeyNames, key: Buffer): HostKeyStatus {
  const revoked = entries.find((entry) => entry.marker === 'revoked' && entry.key.equals(key));
  if (revoked) return { kind: 'revoked', entry: revoked };
  const primary = plainStatus(entries, names.primary, key);
  if (primary.kind !== 'unknown') return primary;
  if (names.withoutPort !== undefined) {
    const bare = plainStatus(entries, names.withoutPort, key);
    if (bare.kind === 'trusted') return bare;
  }
  const authority = entries.find((entry) => entry.marker === 'cert-authority' && hostFieldMatchesName(entry.hosts, names.primary));
  if (authority) return { kind: 'cert-authority', entry: authority };
  return { kind: 'unknown' };
}

/** decideHostKey() for a host and port without HostKeyAlias. */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyStatus {
  return decideHostKey(entries, hostKeyNames(host, port), key);
}

/** Key types known under a name, so the key exchange can prefer them (OpenSSH's order_hostkeyalgs). */
export function knownKeyTypesFor(entries: readonly KnownHostEntry[], name: string): string[] {
  const types = entries.filter((entry) => entry.marker === null && hostFieldMatchesName(entry.hosts, name)).map((entry) => entry.keyType);
  return [...new Set(types)];
}

/** Key types known for a host and port. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  return knownKeyTypesFor(entries, knownHostName(host, port));
}
