import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeToolkitKey } from '../../../../main/toolkit/build-toolkit';

const PACKAGES = [
  { name: 'busybox-static', version: '1:1.35.0-4+b3' },
  { name: 'gdb', version: '13.1-3' },
];

let root: string;
let collector: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'civic-toolkit-key-'));
  collector = join(root, 'civic-collect.c');
  await writeFile(collector, 'int main(void) { return 0; }\n');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('computeToolkitKey', () => {
  it('is 20 hex digits, the same for the same packages and collector source', async () => {
    const key = await computeToolkitKey(PACKAGES, collector);
    expect(key).toMatch(/^[0-9a-f]{20}$/);
    const copy = join(root, 'elsewhere.c');
    await writeFile(copy, 'int main(void) { return 0; }\n');
    // Where the source lies (checkout or packaged resources) is not part of the key; its bytes are.
    expect(await computeToolkitKey(PACKAGES, copy)).toBe(key);
  });

  it('changes with a package version', async () => {
    const key = await computeToolkitKey(PACKAGES, collector);
    const upgraded = [PACKAGES[0]!, { name: 'gdb', version: '13.1-3+deb12u1' }];
    expect(await computeToolkitKey(upgraded, collector)).not.toBe(key);
  });

  it('changes with the collector source', async () => {
    const key = await computeToolkitKey(PACKAGES, collector);
    await writeFile(collector, 'int main(void) { return 1; }\n');
    expect(await computeToolkitKey(PACKAGES, collector)).not.toBe(key);
  });

  it('fails when the collector source is missing, rather than keying a toolkit without it', async () => {
    await expect(computeToolkitKey(PACKAGES, join(root, 'missing.c'))).rejects.toThrow();
  });
});
