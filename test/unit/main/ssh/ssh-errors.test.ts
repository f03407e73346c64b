import { describe, expect, it } from 'vitest';
import { WorkbenchFailure } from '../../../../main/errors';
import { toSshFailure } from '../../../../main/ssh/ssh-errors';

const error = (message: string, fields: Record<string, unknown> = {}): Error => Object.assign(new Error(message), fields);

describe('toSshFailure', () => {
  it.each([
    [error('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' }), 'CONNECTION_REFUSED'],
    [error('getaddrinfo ENOTFOUND nohost', { code: 'ENOTFOUND' }), 'CONNECTION_REFUSED'],
    [error('connect ETIMEDOUT', { code: 'ETIMEDOUT' }), 'CONNECTION_TIMEOUT'],
    [error('Timed out while waiting for handshake', { level: 'client-timeout' }), 'CONNECTION_TIMEOUT'],
    [error('All configured authentication methods failed', { level: 'client-authentication' }), 'AUTH_FAILED'],
    [error('read ECONNRESET', { code: 'ECONNRESET', level: 'client-socket' }), 'CONNECTION_LOST'],
    [error('Keepalive timeout', { level: 'client-timeout' }), 'CONNECTION_LOST'],
    [error('Not connected'), 'CONNECTION_LOST'],
    [error('Host denied (verification failed)', { level: 'handshake' }), 'HOST_KEY_MISMATCH'],
    [error('something else entirely'), 'INTERNAL'],
  ])('maps %s to %s', (raw, code) => {
    const failure = toSshFailure(raw, 'root@h:22');
    expect(failure.code).toBe(code);
    expect(failure.error.hint.length).toBeGreaterThan(0);
    expect(failure.error.message).not.toContain(raw.message);
  });

  it('passes our own failures through unchanged', () => {
    const own = new WorkbenchFailure('HOST_KEY_REVOKED', 'revoked');
    expect(toSshFailure(own, 'x')).toBe(own);
  });

  it('maps an abort to CANCELLED', () => {
    expect(toSshFailure(Object.assign(new Error('aborted'), { name: 'AbortError' }), 'x').code).toBe('CANCELLED');
  });
});
