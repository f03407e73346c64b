import { describe, expect, it } from 'vitest';
import { decodeKernelTaint, taintLetterMeaning } from '../../../../main/detector/kernel-taint';

describe('decodeKernelTaint', () => {
  it('finds no flags in an untainted kernel', () => {
    expect(decodeKernelTaint(0)).toEqual({ flags: [], unknown: [] });
  });

  it('decodes out-of-tree and unsigned modules with their letters and words', () => {
    const decoded = decodeKernelTaint((1 << 12) | (1 << 13));
    expect(decoded.flags.map((flag) => [flag.letter, flag.meaning, flag.suspicious])).toEqual([
      ['O', 'externally built (out-of-tree) module loaded', true],
      ['E', 'unsigned module loaded', true],
    ]);
    expect(decoded.unknown).toEqual([]);
  });

  it('keeps bits it does not know, past 32 bits too', () => {
    const decoded = decodeKernelTaint(2 ** 40 + 2 ** 9 + 1);
    expect(decoded.flags.map((flag) => flag.letter)).toEqual(['P', 'W']);
    expect(decoded.unknown).toEqual([{ bit: 40 }]);
  });

  it('marks a warning as not suspicious and a forced load as suspicious', () => {
    expect(taintLetterMeaning('W')?.suspicious).toBe(false);
    expect(taintLetterMeaning('F')?.suspicious).toBe(true);
    expect(taintLetterMeaning('Z')).toBeNull();
  });
});
