import { describe, expect, it } from 'vitest';
import { hexDump, looksLikeText } from '../../../../main/review/artifact-window';
import { csvCell, csvLine, escapeHtml } from '../../../../main/review/report-text';

describe('escapeHtml', () => {
  it('escapes every character that could open markup or leave an attribute', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
  });
});

describe('csvCell', () => {
  it('neutralises cells a spreadsheet would run as formulas', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(csvCell(`${start}1+1`)).toBe(`"'${start}1+1"`);
    expect(csvCell('plain')).toBe('"plain"');
    expect(csvCell('say "hi", then')).toBe('"say ""hi"", then"');
    expect(csvCell(null)).toBe('""');
    expect(csvCell(-5)).toBe(`"'-5"`);
  });

  it('ends lines with CRLF', () => {
    expect(csvLine(['a', 1])).toBe('"a","1"\r\n');
  });
});

describe('artifact views', () => {
  it('tells text from binary, tolerating a cut character and a stray NUL', () => {
    expect(looksLikeText(Buffer.from('plain log line\n'))).toBe(true);
    expect(looksLikeText(Buffer.from('caf\u00e9').subarray(0, 4))).toBe(true);
    expect(looksLikeText(Buffer.concat([Buffer.from('x'.repeat(200)), Buffer.from([0])]))).toBe(true);
    expect(looksLikeText(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 0]))).toBe(false);
    expect(looksLikeText(Buffer.from([0xff, 0xfe, 0xfd, 0x41, 0x41, 0x41]))).toBe(false);
  });

  it('dumps bytes as offset, hex and printable ASCII', () => {
    const dump = hexDump(Buffer.from('ABC\u0000<script>', 'latin1'), 0x20);
    expect(dump).toBe('00000020  41 42 43 00 3c 73 63 72 69 70 74 3e              ABC.<script>');
  });
});
