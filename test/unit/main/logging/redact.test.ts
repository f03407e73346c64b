import { describe, expect, it } from 'vitest';
import { createLogger, setLogSink } from '../../../../main/logging/logger';
import { forgetSecret, redact, registerSecret } from '../../../../main/logging/redact';

describe('redact', () => {
  it('removes private keys, password pairs, bearer tokens and URL tokens', () => {
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----';
    const text = `key ${key} password=hunter2 passphrase: "s3 cret" Authorization: Bearer abc.def http://127.0.0.1:1/?token=XYZ123`;
    const out = redact(text);
    for (const secret of ['b3BlbnNzaC1rZXktdjEAAAA', 'hunter2', 's3 cret', 'abc.def', 'XYZ123']) expect(out).not.toContain(secret);
    expect(out).toContain('[redacted private key]');
  });

  it('removes secrets registered at run time until they are forgotten', () => {
    registerSecret('correct horse battery');
    expect(redact('typed correct horse battery here')).toBe('typed [redacted] here');
    forgetSecret('correct horse battery');
    expect(redact('correct horse battery')).toBe('correct horse battery');
  });

  it('is applied to every log line, including error details', () => {
    const lines: string[] = [];
    setLogSink((line) => lines.push(line), 'debug');
    registerSecret('tok-1234567');
    createLogger('test').error('failed with tok-1234567', new Error('password=letmein'));
    expect(lines.join('\n')).not.toMatch(/tok-1234567|letmein/);
    forgetSecret('tok-1234567');
  });
});
