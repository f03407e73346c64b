import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadHelperBundle } from '../../../../main/helper-client/helper-deploy';

describe('helper bundle', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'civic-bundle-'));
    await mkdir(join(dir, 'pkg', '__pycache__'), { recursive: true });
    await mkdir(join(dir, 'tests'), { recursive: true });
    await writeFile(join(dir, 'civic-helper'), '#!/usr/bin/env python3\n');
    await chmod(join(dir, 'civic-helper'), 0o755);
    await writeFile(join(dir, 'pkg', 'a.py'), 'A = 1\n');
    await writeFile(join(dir, 'pkg', '__pycache__', 'a.pyc'), 'x');
    await writeFile(join(dir, 'tests', 'test_a.py'), 'x');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('skips tests/ and __pycache__/, keeps the executable bit, and names the folder by content', async () => {
    const bundle = await loadHelperBundle(dir, '0.1.0');
    expect(bundle.files.map((file) => [file.path, file.executable])).toEqual([
      ['civic-helper', true],
      ['pkg/a.py', false],
    ]);
    expect(bundle.folderName).toBe(`0.1.0-${bundle.contentHash.slice(0, 16)}`);
  });

  it('changes the folder name when any file changes, and only then', async () => {
    const before = await loadHelperBundle(dir, '0.1.0');
    expect((await loadHelperBundle(dir, '0.1.0')).contentHash).toBe(before.contentHash);
    await writeFile(join(dir, 'tests', 'test_a.py'), 'changed tests do not count');
    expect((await loadHelperBundle(dir, '0.1.0')).contentHash).toBe(before.contentHash);
    await writeFile(join(dir, 'pkg', 'a.py'), 'A = 2\n');
    expect((await loadHelperBundle(dir, '0.1.0')).contentHash).not.toBe(before.contentHash);
  });
});

describe('helper hello line', () => {
  it('accepts only a hello message with versions', async () => {
    const { parseHelperHello } = await import('../../../../main/helper-client/helper-messages');
    expect(parseHelperHello('{"type":"hello","protocolVersion":1,"helperVersion":"0.1.0","capabilities":["clone",3]}')).toEqual({
      helperVersion: '0.1.0',
      protocolVersion: 1,
      capabilities: ['clone'],
    });
    expect(parseHelperHello('{"type":"result","protocolVersion":1,"helperVersion":"0.1.0"}')).toBeNull();
    expect(parseHelperHello('{"type":"hello","protocolVersion":"1","helperVersion":"0.1.0"}')).toBeNull();
    expect(parseHelperHello('not json')).toBeNull();
  });
});
