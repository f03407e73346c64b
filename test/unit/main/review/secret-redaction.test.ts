import { describe, expect, it } from 'vitest';
import { environmentEntries, redactArgv, REDACTED } from '../../../../main/review/secret-redaction';

describe('environmentEntries', () => {
  it('hides values of secret-looking names unless revealed', () => {
    const environment = ['PATH=/usr/bin', 'DB_PASSWORD=hunter2', 'GITHUB_TOKEN=abc', 'aws_secret_access_key=k', 'NOVALUE'];
    const hidden = environmentEntries(environment, false);
    expect(hidden.map((entry) => [entry.name.text, entry.value.text, entry.redacted])).toEqual([
      ['PATH', '/usr/bin', false],
      ['DB_PASSWORD', REDACTED, true],
      ['GITHUB_TOKEN', REDACTED, true],
      ['aws_secret_access_key', REDACTED, true],
      ['NOVALUE', '', false],
    ]);
    expect(environmentEntries(environment, true)[1]?.value.text).toBe('hunter2');
  });

  it('splits base64-stored entries at the first = and escapes both halves', () => {
    const bytes = Buffer.from([0x4b, 0x45, 0x59, 0x3d, 0xff, 0x1b]);
    const [entry] = environmentEntries([{ b64: bytes.toString('base64') }], true);
    expect(entry).toMatchObject({ name: { text: 'KEY' }, value: { text: '\\xff\\x1b' } });
  });
});

describe('redactArgv', () => {
  it('hides values of secret options, joined or separate', () => {
    expect(redactArgv(['app', '--password', 'p', '--token=t', '--user', 'bob', 'api_key=z'])).toEqual([
      'app',
      '--password',
      REDACTED,
      `--token=${REDACTED}`,
      '--user',
      'bob',
      `api_key=${REDACTED}`,
    ]);
  });
});
