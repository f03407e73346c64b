import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helperEntryPoint } from '../../../../main/helper-client/helper-deploy';

const mainRoot = resolve('main');
const home = join(mainRoot, 'helper-client');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return path === home ? [] : sourceFiles(path);
      return /\.tsx?$/.test(entry.name) ? [path] : [];
    }),
  );
  return nested.flat();
}

// What reading a hello looks like in code: the message type as a literal, or the parser's name.
const helloParse = /(['"`])hello\1|parseHelperHello|helloSchema/;

describe('the helper protocol has one home (main/helper-client/)', () => {
  it('no file outside it parses a hello line or names the entry point', async () => {
    const files = await sourceFiles(mainRoot);
    expect(files.length).toBeGreaterThan(50);
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      text.split('\n').forEach((line, index) => {
        if (line.includes(helperEntryPoint) || helloParse.test(line)) offenders.push(`${relative(mainRoot, file)}:${index + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('the pattern would catch a hello check and the entry point', () => {
    expect(helloParse.test("if (fields['type'] !== 'hello') return null;")).toBe(true);
    expect("posix.join(dir, 'civic-helper')".includes(helperEntryPoint)).toBe(true);
    expect(helloParse.test("context.progress(0.4, 'Deploying the helper');")).toBe(false);
  });
});
