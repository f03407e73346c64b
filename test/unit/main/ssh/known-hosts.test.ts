import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkHostKey,
  fingerprintSha256,
  formatKnownHostLine,
  hashHostName,
  hostFieldMatches,
  knownHostName,
  knownKeyTypes,
  parseKnownHosts,
} from '../../../../main/ssh/known-hosts';

/** A syntactically valid public key blob of a type, with random key bytes. */
function fakeKey(type = 'ssh-ed25519'): Buffer {
  const name = Buffer.from(type);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(name.length);
  const body = randomBytes(32);
  const bodyLength = Buffer.alloc(4);
  bodyLength.writeUInt32BE(body.length);
  return Buffer.concat([head, name, bodyLength, body]);
}

const line = (hosts: string, key: Buffer, type = 'ssh-ed25519'): string => `${hosts} ${type} ${key.toString('base64')}`;

describe('parseKnownHosts', () => {
  it('keeps file and line numbers and skips comments, blanks, bad markers and bad keys', () => {
    const key = fakeKey();
    const text = ['# comment', '', line('a.example', key), '@bogus b.example ssh-ed25519 AAAA', 'c.example ssh-ed25519 not*base64', line('d.example', key, 'ssh-rsa')].join('\n');
    const entries = parseKnownHosts(text, '/k');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ file: '/k', line: 3, marker: null, hosts: 'a.example', keyType: 'ssh-ed25519' });
    expect(entries[0]?.key.equals(key)).toBe(true);
  });

  it('reads @revoked and @cert-authority markers and trailing comments', () => {
    const key = fakeKey();
    const entries = parseKnownHosts(`@revoked * ${line('', key).trim()} old key\n@cert-authority *.example ${line('', key).trim()}`.replace(/ {2}/g, ' '), 'f');
    expect(entries.map((entry) => entry.marker)).toEqual(['revoked', 'cert-authority']);
  });
});

describe('hostFieldMatches', () => {
  it('uses [host]:port for non-default ports and the bare name for 22', () => {
    expect(knownHostName('Host.Example', 22)).toBe('host.example');
    expect(knownHostName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
    expect(hostFieldMatches('host.example', 'host.example', 22)).toBe(true);
    expect(hostFieldMatches('host.example', 'host.example', 2222)).toBe(false);
    expect(hostFieldMatches('[host.example]:2222', 'host.example', 2222)).toBe(true);
  });

  it('handles comma lists, wildcards and negation', () => {
    expect(hostFieldMatches('a.example,b.example', 'b.example', 22)).toBe(true);
    expect(hostFieldMatches('*.example,!bad.example', 'good.example', 22)).toBe(true);
    expect(hostFieldMatches('*.example,!bad.example', 'bad.example', 22)).toBe(false);
    expect(hostFieldMatches('10.0.0.?', '10.0.0.7', 22)).toBe(true);
    expect(hostFieldMatches('10.0.0.?', '10.0.0.17', 22)).toBe(false);
    expect(hostFieldMatches('[10.0.0.1]:*', '10.0.0.1', 2200)).toBe(true);
  });

  it('matches hashed names with HMAC-SHA1 of the looked-up name', () => {
    const hashed = hashHostName('[127.0.0.1]:2222');
    expect(hashed).toMatch(/^\|1\|[A-Za-z0-9+/=]{28}\|[A-Za-z0-9+/=]{28}$/);
    expect(hostFieldMatches(hashed, '127.0.0.1', 2222)).toBe(true);
    expect(hostFieldMatches(hashed, '127.0.0.1', 22)).toBe(false);
    expect(hostFieldMatches('|1|bad|entry', '127.0.0.1', 22)).toBe(false);
  });

  it('agrees with an HMAC-SHA1 vector computed independently', () => {
    const salt = Buffer.from('0123456789abcdefghij');
    expect(hashHostName('example.com', salt)).toBe('|1|MDEyMzQ1Njc4OWFiY2RlZmdoaWo=|jaHXoMQTU/+rEgquOJTQzPGCF4I=');
    expect(hostFieldMatches('|1|MDEyMzQ1Njc4OWFiY2RlZmdoaWo=|jaHXoMQTU/+rEgquOJTQzPGCF4I=', 'EXAMPLE.com', 22)).toBe(true);
  });
});

describe('checkHostKey', () => {
  const key = fakeKey();
  const other = fakeKey();

  it('trusts a listed key, finds it among several keys of the host', () => {
    const entries = parseKnownHosts([line('h', other, 'ssh-ed25519'), line('h', key)].join('\n'), 'f');
    expect(checkHostKey(entries, 'h', 22, key)).toMatchObject({ kind: 'trusted', entry: { line: 2 } });
  });

  it('reports a changed key with every known entry', () => {
    const entries = parseKnownHosts([line('x', key), line('h', other)].join('\n'), 'f');
    const status = checkHostKey(entries, 'h', 22, key);
    expect(status.kind).toBe('changed');
    expect(status.kind === 'changed' && status.known.map((entry) => entry.line)).toEqual([2]);
  });

  it('lets @revoked win even over a matching plain line', () => {
    const entries = parseKnownHosts([line('h', key), `@revoked * ${line('', key).trim()}`].join('\n'), 'f');
    expect(checkHostKey(entries, 'h', 22, key)).toMatchObject({ kind: 'revoked', entry: { line: 2 } });
  });

  it('reports @cert-authority for a host only a CA vouches for, unknown otherwise', () => {
    const entries = parseKnownHosts(`@cert-authority *.lab ${line('', other).trim()}`, 'f');
    expect(checkHostKey(entries, 'kvm.lab', 22, key).kind).toBe('cert-authority');
    expect(checkHostKey(entries, 'kvm.other', 22, key).kind).toBe('unknown');
  });

  it('lists known key types so the exchange can prefer them', () => {
    const entries = parseKnownHosts([line('h', fakeKey('ssh-rsa'), 'ssh-rsa'), line('h', key)].join('\n'), 'f');
    expect(knownKeyTypes(entries, 'h', 22)).toEqual(['ssh-rsa', 'ssh-ed25519']);
  });
});

describe('fingerprints and lines', () => {
  it('prints SHA256 in base64 without padding, like OpenSSH', () => {
    const key = fakeKey();
    const expected = createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
    expect(fingerprintSha256(key)).toBe(`SHA256:${expected}`);
    expect(fingerprintSha256(key)).not.toMatch(/=$/);
  });

  it('formats a hashed line that parses back and matches', () => {
    const key = fakeKey();
    const text = formatKnownHostLine('127.0.0.1', 2222, key);
    const [entry] = parseKnownHosts(text, 'app');
    expect(entry?.hosts.startsWith('|1|')).toBe(true);
    expect(checkHostKey(parseKnownHosts(text, 'app'), '127.0.0.1', 2222, key).kind).toBe('trusted');
    expect(formatKnownHostLine('h', 22, key, { hashed: false })).toBe(line('h', key));
  });
});
