import { describe, expect, it } from 'vitest';
import { isLiteralPattern, matchPattern, matchPatternList } from '../../../../main/hosts/host-pattern';

describe('host patterns', () => {
  it('treats * as any run and ? as exactly one character, case-insensitively', () => {
    expect(matchPattern('*.Lab', 'kvm1.lab')).toBe(true);
    expect(matchPattern('kvm?', 'kvm1')).toBe(true);
    expect(matchPattern('kvm?', 'kvm')).toBe(false);
    expect(matchPattern('kvm?', 'kvm12')).toBe(false);
  });

  it('escapes regular expression characters', () => {
    expect(matchPattern('a.b', 'axb')).toBe(false);
    expect(matchPattern('[h]:22', '[h]:22')).toBe(true);
    expect(matchPattern('(x)+', 'xx')).toBe(false);
  });

  it('lets a matching negation veto the list', () => {
    expect(matchPatternList(['*', '!secret'], 'secret')).toBe(false);
    expect(matchPatternList(['*', '!secret'], 'public')).toBe(true);
    expect(matchPatternList(['!secret'], 'public')).toBe(false);
  });

  it('knows literal names from patterns', () => {
    expect(isLiteralPattern('kvm1')).toBe(true);
    expect(isLiteralPattern('kvm*')).toBe(false);
    expect(isLiteralPattern('!kvm1')).toBe(false);
  });
});
