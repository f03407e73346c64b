import { createHash } from 'node:crypto';
import { chmod, mkdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_BYTES } from '../../../../main/bundle/bundle-limits';
import { openBundle } from '../../../../main/bundle/bundle-reader';
import { createCaptureService } from '../../../../main/captures/capture-service';
import { summaryCommand } from '../../../../main/cli/commands/summary';
import { verifyCommand } from '../../../../main/cli/commands/verify';
import { WorkbenchFailure } from '../../../../main/errors';
import { createWorkspace, type Workspace } from '../../main/bundle/support/bundle-copies';
import { deepJson, forgeArtifactRecord, writeBundleWith } from '../../main/bundle/support/custom-bundle';
import { captureIo } from './support/capture-io';

let workspace: Workspace;
beforeAll(async () => {
  workspace = await createWorkspace();
});
afterAll(async () => {
  await workspace.cleanup();
});

const TWO_GIB = 2 * 1024 * 1024 * 1024;

/** The SHA-256 of `size` zero bytes, as a forger would record it for a sparse file. */
function zerosSha256(size: number): string {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  for (let left = size; left > 0; left -= chunk.length) hash.update(left >= chunk.length ? chunk : chunk.subarray(0, left));
  return hash.digest('hex');
}

/** What verify, the app's open and summary each say about one capture. */
async function verdicts(path: string) {
  const verifyIo = captureIo();
  const verifyExit = await verifyCommand([path], verifyIo);
  const service = createCaptureService();
  const overview = await service.open(path);
  service.close(overview.handle);
  const summaryIo = captureIo();
  const summaryExit = await summaryCommand([path, '--json'], summaryIo);
  const summary = JSON.parse(summaryIo.stdout()) as { verified: boolean; problems: { code: string; subject?: string }[] };
  return { verifyExit, verifyText: verifyIo.stdout(), open: overview.integrity, summaryExit, summary };
}

describe('civic verify and opening a capture agree', () => {
  it.each([
    ['processes', 'artifacts/processes.json'],
    ['findings', 'artifacts/findings.json'],
  ] as const)('refuse a %s document nested 5000 deep with BUNDLE_DOCUMENT_TOO_DEEP', async (role, path) => {
    const folder = join(workspace.root, `deep-${role}`);
    await writeBundleWith(folder, { [role]: deepJson(5000) });
    const { verifyExit, verifyText, open, summaryExit, summary } = await verdicts(folder);
    expect(open.verified).toBe(false);
    expect(open.problems.map((problem) => [problem.code, problem.subject])).toEqual([['BUNDLE_DOCUMENT_TOO_DEEP', path]]);
    expect(verifyExit).toBe(1);
    expect(verifyText).toMatch(new RegExp(`FAIL +${path} +BUNDLE_DOCUMENT_TOO_DEEP`));
    expect(verifyText).toContain('NOT VERIFIED (1 problem)');
    expect(summaryExit).toBe(1);
    expect(summary.problems.map((problem) => problem.code)).toEqual(['BUNDLE_DOCUMENT_TOO_DEEP']);
  });

  it('refuses a 2 GiB processes document by its declared size, before hashing it', async () => {
    const folder = join(workspace.root, 'huge-processes');
    await writeBundleWith(folder, {});
    const document = join(folder, 'artifacts', 'processes.json');
    await chmod(document, 0o644);
    await truncate(document, TWO_GIB); // sparse: no disk is used
    await forgeArtifactRecord(folder, 'artifacts/processes.json', { size: TWO_GIB, sha256: zerosSha256(TWO_GIB) });

    const bundle = await openBundle(folder);
    await bundle.close();
    // The cap is applied from the manifest's declared size: not one byte of the document was hashed.
    expect(bundle.integrity.bytesChecked).toBeLessThan(MAX_DOCUMENT_BYTES);
    expect(bundle.integrity.problems.map((problem) => problem.code)).toEqual(['BUNDLE_DOCUMENT_TOO_LARGE']);

    const { verifyExit, verifyText, open, summaryExit, summary } = await verdicts(folder);
    expect(open.problems.map((problem) => [problem.code, problem.subject])).toEqual([['BUNDLE_DOCUMENT_TOO_LARGE', 'artifacts/processes.json']]);
    expect(verifyExit).toBe(1);
    expect(verifyText).toMatch(/FAIL +artifacts\/processes\.json +BUNDLE_DOCUMENT_TOO_LARGE/);
    expect(summaryExit).toBe(1);
    expect(summary.problems.map((problem) => problem.code)).toEqual(['BUNDLE_DOCUMENT_TOO_LARGE']);
  }, 120_000);

  it('agree on a document that breaks its schema', async () => {
    const folder = join(workspace.root, 'off-schema');
    await writeBundleWith(folder, { processes: JSON.stringify({ schemaVersion: 1, capturedAt: 'yesterday', processes: [] }) });
    const { verifyExit, open, summary } = await verdicts(folder);
    expect(open.problems.map((problem) => problem.code)).toEqual(['BUNDLE_DOCUMENT_INVALID']);
    expect(verifyExit).toBe(1);
    expect(summary.problems.map((problem) => problem.code)).toEqual(['BUNDLE_DOCUMENT_INVALID']);
  });
});

describe('a path that is not a capture', () => {
  it('is BUNDLE_NOT_A_CAPTURE naming the path given, not a file inside it', async () => {
    const home = join(workspace.root, 'home-folder');
    await mkdir(home);
    await writeFile(join(home, '.bashrc'), 'export PATH\n');
    await writeFile(join(home, 'notes.txt'), 'x\n');
    const failure = await openBundle(home).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WorkbenchFailure);
    const { code, message, subject } = (failure as WorkbenchFailure).error;
    expect(code).toBe('BUNDLE_NOT_A_CAPTURE');
    expect(message).toContain(home);
    expect(subject).toBe(home);
    expect(message).not.toContain('.bashrc');

    await expect(createCaptureService().open(home)).rejects.toMatchObject({ code: 'BUNDLE_NOT_A_CAPTURE' });
    const io = captureIo();
    expect(await verifyCommand([home], io)).toBe(1);
    expect(io.stdout()).toContain('BUNDLE_NOT_A_CAPTURE');
    expect(io.stdout()).not.toContain('.bashrc');
  });
});
