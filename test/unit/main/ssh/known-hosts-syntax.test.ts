import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decideHostKey,
  decodeOpenSshBase64,
  hashHostName,
  hostFieldMatchesAny,
  hostKeyNames,
  parseKnownHostLine,
  parseKnownHosts,
  splitKnownHostLine,
} from '../../../../main/ssh/known-hosts';

/** An Ed25519 public key blob as OpenSSH reads it, random key bytes. */
function ed25519(): Buffer {
  return Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), randomBytes(32)]);
}

const key = ed25519();
const other = ed25519();
const b64 = key.toString('base64');

describe('known_hosts line syntax as hostfile.c reads it', () => {
  it('separates fields by space and tab only', () => {
    expect(parseKnownHostLine(`h ssh-ed25519 ${b64}`, 'f', 1)?.hosts).toBe('h');
    expect(parseKnownHostLine(`\t h\tssh-ed25519\t${b64}\tcomment`, 'f', 1)?.hosts).toBe('h');
    // A vertical tab or a no-break space is part of the host field, so the key type is not found.
    expect(parseKnownHostLine(`h\vssh-ed25519 ${b64}`, 'f', 1)).toBeNull();
    expect(parseKnownHostLine(`h\u00a0ssh-ed25519 ${b64}`, 'f', 1)).toBeNull();
  });

  it('keeps a BOM in the host field, so the line names no host we look up', () => {
    const entry = parseKnownHostLine(`\u00ef\u00bb\u00bfh ssh-ed25519 ${b64}`, 'f', 1);
    expect(entry?.hosts).toBe('\u00ef\u00bb\u00bfh');
    expect(hostFieldMatchesAny(entry?.hosts ?? '', ['h'])).toBe(false);
  });

  it('splits on \\n only: a CR before it is skipped inside the base64, a lone CR joins lines', () => {
    const entries = parseKnownHosts(`a ssh-ed25519 ${b64}\r\nb ssh-ed25519 ${b64}\rc ssh-ed25519 ${b64}\n`, 'f');
    expect(entries.map((entry) => entry.hosts)).toEqual(['a']);
    expect(entries[0]?.key.equals(key)).toBe(true);
  });

  it('decodes base64 like b64_pton: whitespace skipped, padding required, junk refused', () => {
    expect(decodeOpenSshBase64('QUJD')?.toString()).toBe('ABC');
    expect(decodeOpenSshBase64('QU\vJD\r')?.toString()).toBe('ABC');
    expect(decodeOpenSshBase64('QUI=')?.toString()).toBe('AB');
    expect(decodeOpenSshBase64('QUI')).toBeNull();
    expect(decodeOpenSshBase64('QU*D')).toBeNull();
    expect(decodeOpenSshBase64('QUI=QUI=')).toBeNull();
  });

  it('reads markers the way check_markers() does', () => {
    expect(splitKnownHostLine(`@revoked h ssh-ed25519 ${b64}`)?.marker).toBe('revoked');
    expect(splitKnownHostLine(`@cert-authority\th ssh-ed25519 ${b64}`)).toBeNull(); // ends at the first space, taking the tab with it
    expect(splitKnownHostLine(`@cert-authority\th\tssh-ed25519\t${b64}`)?.marker).toBe('cert-authority');
    expect(splitKnownHostLine(`@revoked @revoked h ssh-ed25519 ${b64}`)).toBeNull();
    expect(splitKnownHostLine(`@bogus h ssh-ed25519 ${b64}`)).toBeNull();
    expect(splitKnownHostLine('   # comment')).toBeNull();
    expect(splitKnownHostLine(' \t ')).toBeNull();
  });

  it('refuses a key whose type name, Ed25519 length or ECDSA curve does not fit its blob', () => {
    expect(parseKnownHostLine(`h ssh-rsa ${b64}`, 'f', 1)).toBeNull();
    const short = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 31]), randomBytes(31)]);
    expect(parseKnownHostLine(`h ssh-ed25519 ${short.toString('base64')}`, 'f', 1)).toBeNull();
    const name = Buffer.from('ecdsa-sha2-nistp256');
    const wrongCurve = Buffer.concat([Buffer.from([0, 0, 0, name.length]), name, Buffer.from([0, 0, 0, 8]), Buffer.from('nistp384'), Buffer.from([0, 0, 0, 1, 4])]);
    expect(parseKnownHostLine(`h ecdsa-sha2-nistp256 ${wrongCurve.toString('base64')}`, 'f', 1)).toBeNull();
    expect(parseKnownHostLine(`h ssh-ed25519`, 'f', 1)).toBeNull();
    expect(parseKnownHostLine(`h`, 'f', 1)).toBeNull();
  });
});

describe('host fields', () => {
  it('matches hashed fields whole, with a 20-byte salt only', () => {
    const salt = randomBytes(20);
    const hashed = hashHostName('[127.0.0.1]:2222', salt);
    expect(hostFieldMatchesAny(hashed, ['127.0.0.1', '[127.0.0.1]:2222'])).toBe(true);
    expect(hostFieldMatchesAny(`${hashed},other`, ['[127.0.0.1]:2222'])).toBe(false);
    const shortSalt = hashHostName('h', randomBytes(16));
    expect(hostFieldMatchesAny(shortSalt, ['h'])).toBe(false);
  });

  it('lower-cases ASCII only and lets a matching negation veto', () => {
    expect(hostFieldMatchesAny('KVM1.Example', ['kvm1.example'])).toBe(true);
    expect(hostFieldMatchesAny('*.example,!bad.example', ['bad.example'])).toBe(false);
    expect(hostFieldMatchesAny('[10.0.0.?]:*', ['[10.0.0.7]:2200'])).toBe(true);
    expect(hostFieldMatchesAny('a*b*c', ['axxbyyc'])).toBe(true);
    expect(hostFieldMatchesAny('a*b*c', ['axxbyy'])).toBe(false);
  });
});

describe('decideHostKey: OpenSSH check_host_key()', () => {
  const entries = (...lines: string[]) => parseKnownHosts(lines.join('\n'), 'f');

  it('falls back to the bare host on a non-22 port only when [host]:port knows nothing', () => {
    const names = hostKeyNames('10.0.0.1', 2222);
    expect(names).toEqual({ primary: '[10.0.0.1]:2222', withoutPort: '10.0.0.1' });
    expect(decideHostKey(entries(`10.0.0.1 ssh-ed25519 ${b64}`), names, key).kind).toBe('trusted');
    expect(decideHostKey(entries(`[10.0.0.1]:2222 ssh-ed25519 ${other.toString('base64')}`, `10.0.0.1 ssh-ed25519 ${b64}`), names, key).kind).toBe('changed');
    // A different key under the bare name leaves the host unknown, not changed.
    expect(decideHostKey(entries(`10.0.0.1 ssh-ed25519 ${other.toString('base64')}`), names, key).kind).toBe('unknown');
  });

  it('looks a HostKeyAlias up as is, lower-cased, without port or fallback', () => {
    const names = hostKeyNames('10.0.0.1', 2222, 'KVM-Alias');
    expect(names).toEqual({ primary: 'kvm-alias' });
    expect(decideHostKey(entries(`kvm-alias ssh-ed25519 ${b64}`), names, key).kind).toBe('trusted');
    expect(decideHostKey(entries(`10.0.0.1 ssh-ed25519 ${b64}`), names, key).kind).toBe('unknown');
  });

  it('refuses a key revoked on any line, and ignores @cert-authority when a plain key matches', () => {
    expect(decideHostKey(entries(`h ssh-ed25519 ${b64}`, `@revoked elsewhere ssh-ed25519 ${b64}`), hostKeyNames('h', 22), key).kind).toBe('revoked');
    expect(decideHostKey(entries(`@cert-authority h ssh-ed25519 ${other.toString('base64')}`, `h ssh-ed25519 ${b64}`), hostKeyNames('h', 22), key).kind).toBe('trusted');
    expect(decideHostKey(entries(`@cert-authority h ssh-ed25519 ${other.toString('base64')}`), hostKeyNames('h', 22), key).kind).toBe('cert-authority');
  });
});
