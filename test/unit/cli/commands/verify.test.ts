import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCommand } from '../../../../main/cli/commands/verify';
import { captureIo } from './support/capture-io';
import {
  createSampleCopies,
  createWorkspace,
  entryDataRanges,
  flipByte,
  type Workspace,
} from '../../main/bundle/support/bundle-copies';

let workspace: Workspace;
// The synthetic sample, packed by its generator: its content is fixed, unlike the lab-made sample the app ships.
let syntheticArchive: string;
beforeAll(async () => {
  workspace = await createWorkspace();
  syntheticArchive = (await createSampleCopies(workspace.root)).archive;
});
afterAll(async () => {
  await workspace.cleanup();
});

describe('civic verify', () => {
  it('returns 0 on the sample and reports every artifact and the custody chain', async () => {
    const io = captureIo();
    expect(await verifyCommand([syntheticArchive], io)).toBe(0);
    const text = io.stdout();
    expect(text).toContain('Result     VERIFIED');
    expect(text).toContain('Custody    2 entries, chain intact');
    for (const path of ['artifacts/processes.json', 'artifacts/sockets.json', 'artifacts/findings.json', 'artifacts/helper.log']) {
      expect(text).toMatch(new RegExp(`ok +${path}`));
    }
    expect(io.stderr()).toBe('');
  });

  it('returns 1 on a tampered copy and names the artifact', async () => {
    const ranges = await entryDataRanges(syntheticArchive);
    const range = ranges.get('artifacts/sockets.json');
    if (!range) throw new Error('sample without sockets');
    const tampered = join(workspace.root, 'tampered.civic');
    await writeFile(tampered, await readFile(syntheticArchive));
    await flipByte(tampered, range.start + Math.floor(range.length / 2));
    const io = captureIo();
    expect(await verifyCommand([tampered], io)).toBe(1);
    expect(io.stdout()).toMatch(/FAIL +artifacts\/sockets\.json +BUNDLE_HASH_MISMATCH/);
    expect(io.stdout()).toMatch(/ok +artifacts\/processes\.json/);
    expect(io.stdout()).toContain('NOT VERIFIED (1 problem)');
  });

  it('returns 1 with the code and hint when the capture cannot be opened', async () => {
    const cut = join(workspace.root, 'cut.civic');
    await writeFile(cut, (await readFile(syntheticArchive)).subarray(0, 4000));
    const io = captureIo();
    expect(await verifyCommand([cut], io)).toBe(1);
    expect(io.stdout()).toContain('BUNDLE_TRUNCATED');
    expect(io.stdout()).toContain('Copy it again');

    const missing = captureIo();
    expect(await verifyCommand([join(workspace.root, 'missing.civic')], missing)).toBe(1);
    expect(missing.stdout()).toContain('BUNDLE_NOT_FOUND');
  });

  it('escapes a hostile path before printing it', async () => {
    const io = captureIo();
    await verifyCommand([join(workspace.root, 'evil\u001b[2J.civic')], io);
    expect(io.stdout()).not.toContain('\u001b');
    expect(io.stdout()).toContain('evil\\x1b[2J.civic');
  });

  it.each([[[]], [['a.civic', 'b.civic']], [['--json', 'a.civic']]])('returns 2 on usage errors (%j)', async (args) => {
    const io = captureIo();
    expect(await verifyCommand(args, io)).toBe(2);
    expect(io.stderr()).toContain('usage: civic verify');
  });

  it('prints help with 0', async () => {
    const io = captureIo();
    expect(await verifyCommand(['--help'], io)).toBe(0);
    expect(io.stdout()).toContain('usage: civic verify');
  });
});
