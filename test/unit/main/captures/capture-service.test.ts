import { createHash } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaptureService } from '../../../../main/captures/capture-service';
import { WorkbenchFailure } from '../../../../main/errors';
import { MANIFEST_NAME } from '../../../../main/bundle/bundle-limits';
import { manifestSchema } from '../../../../main/bundle/bundle-schema';
import { packBundle } from '../../../../main/bundle/pack-bundle';
import { writeSampleBundle } from '../../../../test/support/samples/sample-capture';
import { copyFolder, createWorkspace, extractArchive, flipByte, rewriteManifest, type SampleCopies, type Workspace } from '../bundle/support/bundle-copies';

let workspace: Workspace;
let sample: SampleCopies;
let counter = 0;

beforeAll(async () => {
  workspace = await createWorkspace();
  sample = await syntheticSampleCopies(workspace.root);
});
afterAll(async () => {
  await workspace.cleanup();
});

/** The synthetic sample (fixed content, unlike the lab-made one the app ships) as a .civic and as a writable folder. */
async function syntheticSampleCopies(root: string): Promise<SampleCopies> {
  await writeSampleBundle(join(root, 'synthetic-sealed'));
  const archive = join(root, 'sample.civic');
  await packBundle(join(root, 'synthetic-sealed'), archive);
  const folder = join(root, 'sample-folder');
  await extractArchive(archive, folder);
  const manifest = manifestSchema.parse(JSON.parse(await readFile(join(folder, MANIFEST_NAME), 'utf8')));
  return { folder, archive, manifest };
}

const copy = (): Promise<string> => copyFolder(sample.folder, join(workspace.root, `copy-${(counter += 1)}`));

describe('createCaptureService', () => {
  it('opens the sample with its processes, findings and provenance', async () => {
    const service = createCaptureService();
    const progress: number[] = [];
    const overview = await service.open(sample.archive, { onProgress: (value) => progress.push(value) });
    expect(overview).toMatchObject({ processCount: 150, findingCount: 7, title: 'lab-web on kvm-lab-01, 2026-03-14T09:26:53.000Z' });
    expect(overview.integrity.verified).toBe(true);
    expect(overview.provenance).toMatchObject({ schemaVersion: 1, host: { name: 'kvm-lab-01' }, vm: { name: 'lab-web' } });
    expect(overview.provenance.custody).toHaveLength(2);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((left, right) => left - right));

    const processes = service.processes(overview.handle);
    const byPid = new Map(processes.map((row) => [row.pid, row]));
    expect(byPid.get(4802)).toMatchObject({ ppid: 1, name: { text: 'kworker/0:2' }, flags: ['fake-kernel-thread'] });
    expect(byPid.get(4711)?.flags).toEqual(['exe-deleted', 'suspicious-listener-port']);
    expect(byPid.get(4711)?.exeDeleted).toBe(true);
    expect(byPid.get(1)?.flags).toEqual([]);
    const children = processes.filter((row) => row.ppid === 2);
    expect(children.length).toBeGreaterThan(50);
    expect(processes.some((row) => row.threads > 1)).toBe(true);
    expect(service.sockets(overview.handle).some((socket) => socket.localPort === 31337 && socket.state === 'LISTEN')).toBe(true);
  });

  it('shows hostile guest strings escaped', async () => {
    const service = createCaptureService();
    const overview = await service.open(sample.archive);
    const byPid = new Map(service.processes(overview.handle).map((row) => [row.pid, row]));
    expect(byPid.get(3120)?.argv[2]?.text).toContain('\\x1b[2J');
    expect(byPid.get(2292)?.argv[1]?.text).toBe('/home/admin/notes\\u202etxt.py');
    expect(byPid.get(4801)?.argv[1]?.text).toBe('--cfg=/tmp/\\xff\\xfe.json');
    const texts = service.processes(overview.handle).flatMap((row) => [row.name.text, row.exe.text, ...row.argv.map((argument) => argument.text)]);
    const unsafe = (text: string): boolean =>
      [...text].some((character) => {
        const code = character.codePointAt(0) ?? 0;
        return code < 0x20 || code === 0x7f || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
      });
    expect(texts.filter(unsafe)).toEqual([]);
    const detail = service.findings(overview.handle).find((finding) => finding.rule === 'web-server-shell')?.detail.text;
    expect(detail).toContain('\\x1b[2J');
  });

  it('refuses unknown and closed handles with NOT_FOUND', async () => {
    const service = createCaptureService();
    expect(() => service.processes('nope')).toThrow(WorkbenchFailure);
    const overview = await service.open(sample.folder);
    service.close(overview.handle);
    for (const call of [() => service.processes(overview.handle), () => service.findings(overview.handle), () => service.close(overview.handle)]) {
      try {
        call();
        throw new Error('expected NOT_FOUND');
      } catch (error) {
        expect((error as WorkbenchFailure).code).toBe('NOT_FOUND');
      }
    }
  });

  it('still opens a capture whose artifact fails, naming it and loading nothing from it', async () => {
    const folder = await copy();
    await flipByte(join(folder, 'artifacts/processes.json'));
    const service = createCaptureService();
    const overview = await service.open(folder);
    expect(overview.integrity.verified).toBe(false);
    expect(overview.integrity.problems).toEqual([expect.objectContaining({ code: 'BUNDLE_HASH_MISMATCH', subject: 'artifacts/processes.json' })]);
    expect(service.processes(overview.handle)).toEqual([]);
    expect(service.findings(overview.handle)).toHaveLength(7);
  });

  it('reports a too-deep structured artifact as a problem and opens the rest', async () => {
    const folder = await copy();
    const deep = Buffer.from('['.repeat(2000) + ']'.repeat(2000));
    await chmod(join(folder, 'artifacts/sockets.json'), 0o644);
    await writeFile(join(folder, 'artifacts/sockets.json'), deep);
    await rewriteManifest(folder, (manifest) => {
      const artifacts = manifest['artifacts'] as Array<Record<string, unknown>>;
      const sockets = artifacts.find((artifact) => artifact['role'] === 'sockets');
      if (sockets) Object.assign(sockets, { size: deep.length, sha256: createHash('sha256').update(deep).digest('hex') });
    });
    const service = createCaptureService();
    const overview = await service.open(folder);
    // The manifest changed after sealing, so the custody seal fails as well.
    expect(overview.integrity.problems.map((problem) => problem.code).sort()).toEqual(['BUNDLE_CUSTODY_BROKEN', 'BUNDLE_DOCUMENT_TOO_DEEP']);
    expect(overview.processCount).toBe(150);
  });

  it('refuses a capture whose manifest is invalid', async () => {
    const folder = await copy();
    await rewriteManifest(folder, (manifest) => delete manifest['host']);
    await expect(createCaptureService().open(folder)).rejects.toMatchObject({ code: 'BUNDLE_SCHEMA_INVALID' });
  });

  it('cancels with CANCELLED', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(createCaptureService().open(sample.archive, { signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
