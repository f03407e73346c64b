import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from './support/capture-io';
import { summaryCommand, type CaptureSummary } from '../../../../main/cli/commands/summary';
import { createSampleCopies, createWorkspace, entryDataRanges, flipByte, type Workspace } from '../../main/bundle/support/bundle-copies';

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

describe('civic summary', () => {
  it('prints provenance, counts and the top findings by severity', async () => {
    const io = captureIo();
    expect(await summaryCommand([syntheticArchive], io)).toBe(0);
    const text = io.stdout();
    expect(text).toContain('lab-web on kvm-lab-01');
    expect(text).toContain('Processes  150');
    expect(text).toMatch(/Findings +7 \(1 critical, 4 high, 1 medium, 1 low\)/);
    expect(text.indexOf('CRITICAL')).toBeLessThan(text.indexOf('HIGH'));
    expect(text).toContain('Integrity  verified');
  });

  it('prints the same facts as JSON with --json', async () => {
    const io = captureIo();
    expect(await summaryCommand(['--json', syntheticArchive], io)).toBe(0);
    const summary = JSON.parse(io.stdout()) as CaptureSummary;
    expect(summary).toMatchObject({
      verified: true,
      vm: { name: 'lab-web' },
      host: { name: 'kvm-lab-01' },
      counts: { processes: 150, findings: 7, custodyEntries: 2, artifacts: 4 },
    });
    expect(summary.counts.listening).toBeGreaterThan(5);
    expect(summary.topFindings[0]).toMatchObject({ severity: 'critical', rule: 'exe-in-temp-dir', pids: [4801] });
  });

  it('still summarises a tampered capture but returns 1 and names the artifact', async () => {
    const range = (await entryDataRanges(syntheticArchive)).get('artifacts/findings.json');
    if (!range) throw new Error('sample without findings');
    const tampered = join(workspace.root, 'tampered.civic');
    await writeFile(tampered, await readFile(syntheticArchive));
    await flipByte(tampered, range.start + Math.floor(range.length / 2));
    const io = captureIo();
    expect(await summaryCommand(['--json', tampered], io)).toBe(1);
    const summary = JSON.parse(io.stdout()) as CaptureSummary;
    expect(summary.verified).toBe(false);
    expect(summary.problems).toEqual([expect.objectContaining({ code: 'BUNDLE_HASH_MISMATCH', subject: 'artifacts/findings.json' })]);
    expect(summary.counts.processes).toBe(150);
  });

  it('returns 1 with the error when the capture cannot be opened, 2 on usage errors', async () => {
    const io = captureIo();
    expect(await summaryCommand([join(workspace.root, 'missing.civic')], io)).toBe(1);
    expect(io.stderr()).toContain('BUNDLE_NOT_FOUND');
    expect(await summaryCommand([], captureIo())).toBe(2);
    expect(await summaryCommand(['--yaml', syntheticArchive], captureIo())).toBe(2);
  });
});
