import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quoteArgument, quoteCommand } from '../../../../main/ssh/shell-quote';

const hostile = ["it's", '$(id)', '`id`', 'a;b', 'new\nline', 'tab\there', 'é 日本 🚀', '', '-n', '*', '~', "''", '\\', '"', '!x', '#c'];

describe('shell quoting', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(quoteArgument('plain-word_1.2/x')).toBe('plain-word_1.2/x');
    expect(quoteArgument('two words')).toBe("'two words'");
    expect(quoteArgument("it's")).toBe("'it'\\''s'");
    expect(quoteArgument('')).toBe("''");
  });

  it('refuses NUL, which no argv can carry', () => {
    expect(() => quoteArgument('a\0b')).toThrow(TypeError);
    expect(() => quoteCommand([])).toThrow(TypeError);
  });

  it('round-trips hostile arguments through a local sh', () => {
    const line = quoteCommand(['printf', '%s\\0', ...hostile]);
    const out = execFileSync('sh', ['-c', line]).toString('utf8');
    expect(out.split('\0').slice(0, -1)).toEqual(hostile);
  });
});
