import { describe, expect, it } from 'vitest';
import { checkEntryName, decodeEntryName } from '../../../../main/bundle/entry-name';
import { WorkbenchFailure } from '../../../../main/errors';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof WorkbenchFailure) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('checkEntryName', () => {
  it.each(['manifest.json', 'custody.jsonl', 'artifacts/processes.json', 'artifacts/dumps/vm-memory.elf', 'artifacts/core.1234+x_y-z'])(
    'accepts %s',
    (name) => {
      expect(checkEntryName(name)).toBe(name);
    },
  );

  it.each([
    ['/etc/passwd', 'BUNDLE_ABSOLUTE_PATH'],
    ['\\Windows\\win.ini', 'BUNDLE_ABSOLUTE_PATH'],
    ['\\\\server\\share', 'BUNDLE_ABSOLUTE_PATH'],
    ['C:\\x', 'BUNDLE_ABSOLUTE_PATH'],
    ['c:x', 'BUNDLE_ABSOLUTE_PATH'],
    ['..', 'BUNDLE_PATH_TRAVERSAL'],
    ['../x', 'BUNDLE_PATH_TRAVERSAL'],
    ['artifacts/../../x', 'BUNDLE_PATH_TRAVERSAL'],
    ['artifacts\\..\\x', 'BUNDLE_PATH_TRAVERSAL'],
    ['artifacts\\x', 'BUNDLE_PATH_TRAVERSAL'],
    ['artifacts/./x', 'BUNDLE_PATH_TRAVERSAL'],
    ['artifacts//x', 'BUNDLE_PATH_TRAVERSAL'],
    ['artifacts/.hidden', 'BUNDLE_PATH_TRAVERSAL'],
    ['artifacts/x:stream', 'BUNDLE_PATH_TRAVERSAL'],
    ['artifacts/a\u0000b', 'BUNDLE_PATH_TRAVERSAL'],
    ['artifacts/\u202egpj.sh', 'BUNDLE_PATH_TRAVERSAL'],
    ['', 'BUNDLE_PATH_TRAVERSAL'],
    [`${'a/'.repeat(20)}x`, 'BUNDLE_PATH_TRAVERSAL'],
    ['artifacts/', 'BUNDLE_PATH_TRAVERSAL'],
  ])('refuses %j with %s', (name, code) => {
    expect(codeOf(() => checkEntryName(name))).toBe(code);
  });

  it('allows a trailing slash only for folder entries', () => {
    expect(checkEntryName('artifacts/', true)).toBe('artifacts');
  });

  it('shows a hostile name escaped in the subject', () => {
    try {
      checkEntryName('/tmp/\u001b[2Jx');
    } catch (error) {
      expect((error as WorkbenchFailure).error.subject).toBe('/tmp/\\x1b[2Jx');
      return;
    }
    throw new Error('expected a refusal');
  });
});

describe('decodeEntryName', () => {
  it('decodes UTF-8 and refuses other bytes', () => {
    expect(decodeEntryName(Buffer.from('artifacts/a.json'))).toBe('artifacts/a.json');
    expect(codeOf(() => decodeEntryName(Buffer.from([0x61, 0xff])))).toBe('BUNDLE_PATH_TRAVERSAL');
  });
});
