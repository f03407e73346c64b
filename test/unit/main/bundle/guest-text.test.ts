import { describe, expect, it } from 'vitest';
import { encodeGuestBytes } from '../../../../main/bundle/bundle-schema';
import { safeText, toGuestText } from '../../../../main/bundle/guest-text';

describe('toGuestText', () => {
  it('caps plain ASCII exactly as it caps text that needs escaping', () => {
    expect(toGuestText('a'.repeat(5000))).toEqual({ text: 'a'.repeat(4096), truncated: true });
    expect(toGuestText('a'.repeat(10), { maxChars: 4 })).toEqual({ text: 'aaaa', truncated: true });
    expect(toGuestText('a'.repeat(4))).toEqual({ text: 'aaaa' });
    expect(toGuestText('\\'.repeat(3000)).text).toHaveLength(4096);
  });

  it('passes ordinary text, including non-Latin scripts, unchanged', () => {
    expect(toGuestText('nginx: worker process — привет 日本 🚀')).toEqual({ text: 'nginx: worker process — привет 日本 🚀' });
  });

  it('shows ANSI escapes, NUL, tabs and newlines as visible escapes', () => {
    expect(toGuestText('\u001b[2J\u0000a\tb\nc\u007f').text).toBe('\\x1b[2J\\x00a\\x09b\\x0ac\\x7f');
  });

  it('keeps newlines when multiline, still escaping the rest', () => {
    expect(toGuestText('a\nb\r\u001b', { multiline: true }).text).toBe('a\nb\\x0d\\x1b');
  });

  it('shows bidi overrides, isolates, marks and zero-width characters', () => {
    expect(toGuestText('notes\u202etxt.py\u2066\u200f\u200b\ufeff').text).toBe('notes\\u202etxt.py\\u2066\\u200f\\u200b\\ufeff');
  });

  it('shows C1 controls and lone surrogates', () => {
    expect(toGuestText('\u009b31m\ud800x').text).toBe('\\u009b31m\\ud800x');
  });

  it('escapes backslashes so escapes cannot be forged', () => {
    expect(toGuestText('C:\\x1b').text).toBe('C:\\\\x1b');
  });

  it('shows each invalid UTF-8 byte as \\xNN and decodes the valid ones around it', () => {
    const bytes = Buffer.concat([Buffer.from('/tmp/'), Buffer.from([0xff, 0xfe]), Buffer.from('é'), Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xe2, 0x82])]);
    expect(toGuestText(bytes).text).toBe('/tmp/\\xff\\xfeé\\xc0\\xaf\\xed\\xa0\\x80\\xe2\\x82');
  });

  it('reads the b64 form of a stored guest string as bytes', () => {
    const stored = encodeGuestBytes(Buffer.from([0x2d, 0x2d, 0xff, 0x1b]));
    expect(stored).toEqual({ b64: Buffer.from([0x2d, 0x2d, 0xff, 0x1b]).toString('base64') });
    expect(toGuestText(stored).text).toBe('--\\xff\\x1b');
    expect(encodeGuestBytes(Buffer.from('\ufeffplain'))).toBe('\ufeffplain');
  });

  it('caps the escaped length and says so, never splitting an escape', () => {
    expect(toGuestText('x'.repeat(5000))).toEqual({ text: 'x'.repeat(4096), truncated: true });
    expect(toGuestText('ab\u001b', { maxChars: 4 })).toEqual({ text: 'ab', truncated: true });
    expect(safeText('abcdef', 3)).toBe('abc');
  });
});
