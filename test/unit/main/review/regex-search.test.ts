import { describe, expect, it } from 'vitest';
import { plainSearch, regexSearch } from '../../../../main/review/regex-search';

describe('regexSearch', () => {
  it('stops a catastrophically backtracking pattern and says why', () => {
    const texts = Array.from({ length: 50 }, () => `${'a'.repeat(40)}!`);
    const outcome = regexSearch(texts, '(a+)+$', 100);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.message).toMatch(/stopped/);
  });

  it('refuses invalid and overlong patterns', () => {
    expect(regexSearch(['x'], '(')).toMatchObject({ ok: false });
    expect(regexSearch(['x'], 'a'.repeat(300))).toMatchObject({ ok: false });
  });

  it('matches case-insensitively', () => {
    const outcome = regexSearch(['nginx worker', 'sshd', 'NGINX master'], '^nginx');
    expect(outcome.ok && Array.from(outcome.matched)).toEqual([1, 0, 1]);
  });
});

describe('plainSearch', () => {
  it('needs every word, in any order', () => {
    expect(Array.from(plainSearch(['nginx worker 12', 'nginx master', 'worker'], 'Worker NGINX'))).toEqual([1, 0, 0]);
  });
});
