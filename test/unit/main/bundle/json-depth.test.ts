import { describe, expect, it } from 'vitest';
import { JsonDepthScanner } from '../../../../main/bundle/json-depth';
import { WorkbenchFailure } from '../../../../main/errors';

function scan(text: string, maxDepth = 4, chunkSize = text.length || 1): void {
  const scanner = new JsonDepthScanner(maxDepth, 'doc.json');
  const bytes = Buffer.from(text, 'utf8');
  for (let offset = 0; offset < bytes.length; offset += chunkSize) scanner.feed(bytes.subarray(offset, offset + chunkSize));
}

describe('JsonDepthScanner', () => {
  it('accepts nesting up to the cap and refuses one level more', () => {
    expect(() => scan('[[[[1]]]]')).not.toThrow();
    expect(() => scan('[[[{"a":[1]}]]]')).toThrow(WorkbenchFailure);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(() => scan('{"a":"[[[[[[[[\\"[[[[[[","b":["]]]]{{{{"]}')).not.toThrow();
  });

  it('keeps its state across chunk boundaries', () => {
    expect(() => scan('["\\"[[[[[[", [[[1]]]]', 4, 1)).not.toThrow();
    expect(() => scan('[[[[[1]]]]]', 4, 1)).toThrow(WorkbenchFailure);
  });

  it('refuses a 2000-deep document with BUNDLE_DOCUMENT_TOO_DEEP naming the document', () => {
    try {
      scan('['.repeat(2000) + ']'.repeat(2000), 64);
    } catch (error) {
      expect(error).toBeInstanceOf(WorkbenchFailure);
      expect((error as WorkbenchFailure).error).toMatchObject({ code: 'BUNDLE_DOCUMENT_TOO_DEEP', subject: 'doc.json' });
      return;
    }
    throw new Error('expected a refusal');
  });
});
