import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openBundle } from '../../../../main/bundle/bundle-reader';
import { appendCustody, createBundleWriter, type BundleIdentity } from '../../../../main/bundle/bundle-writer';
import { packBundle } from '../../../../main/bundle/pack-bundle';
import { WorkbenchFailure } from '../../../../main/errors';
import { createWorkspace, flipByte, snapshotTree, type Workspace } from './support/bundle-copies';

const identity: BundleIdentity = {
  captureId: 'capture-1',
  toolVersion: '0.1.0',
  helperVersion: '0.1.0',
  host: { name: 'kvm-test', hostKeySha256: `SHA256:${'A'.repeat(43)}` },
  vm: { name: 'vm-test', uuid: '00000000-0000-4000-8000-000000000001' },
  cloneId: 'clone-1',
  startedAt: '2026-01-02T03:04:05.000Z',
};

let workspace: Workspace;
beforeEach(async () => {
  workspace = await createWorkspace();
});
afterEach(async () => {
  await workspace.cleanup();
});

async function* chunks(count: number, size: number): AsyncIterable<Uint8Array> {
  for (let index = 0; index < count; index += 1) yield Buffer.alloc(size, index);
}

async function writeBundle(folder: string) {
  const writer = await createBundleWriter(folder, identity);
  const dump = await writer.addArtifact({ path: 'artifacts/dumps/memory.elf', mediaType: 'application/octet-stream', role: 'memory-dump' }, chunks(8, 65_536));
  await writer.addJson({ path: 'artifacts/findings.json', role: 'findings' }, { schemaVersion: 1, generatedAt: identity.startedAt, findings: [] });
  writer.recordCommand({ argv: ['collect'], exitCode: 0, startedAt: identity.startedAt, endedAt: identity.startedAt });
  const sealed = await writer.seal({ endedAt: '2026-01-02T03:05:00.000Z', actor: 'civic-helper@kvm-test' });
  return { writer, dump, sealed };
}

describe('createBundleWriter', () => {
  it('hashes streamed artifacts while writing and seals the manifest into custody entry 1', async () => {
    const folder = join(workspace.root, 'bundle');
    const { dump, sealed } = await writeBundle(folder);
    const dumpBytes = await readFile(join(folder, 'artifacts/dumps/memory.elf'));
    expect(dump).toMatchObject({ size: 8 * 65_536, sha256: createHash('sha256').update(dumpBytes).digest('hex') });
    const manifestBytes = await readFile(join(folder, 'manifest.json'));
    expect(sealed.custody[0]).toMatchObject({ seq: 1, action: 'seal-manifest', sha256: createHash('sha256').update(manifestBytes).digest('hex') });
    expect(sealed.manifest.commands).toHaveLength(1);

    const bundle = await openBundle(folder);
    await bundle.close();
    expect(bundle.integrity).toMatchObject({ verified: true, artifactsChecked: 2, custodyEntries: 1 });
  });

  it('seals a bundle without artifacts that still verifies', async () => {
    const folder = join(workspace.root, 'empty');
    const writer = await createBundleWriter(folder, identity);
    await writer.seal({ endedAt: identity.startedAt, actor: 'civic-helper@kvm-test' });
    const bundle = await openBundle(folder);
    await bundle.close();
    expect(bundle.integrity).toMatchObject({ verified: true, artifactsChecked: 0, custodyEntries: 1 });
  });

  it('leaves every sealed file read-only', async () => {
    const folder = join(workspace.root, 'bundle');
    await writeBundle(folder);
    for (const name of ['manifest.json', 'custody.jsonl', 'artifacts/findings.json', 'artifacts/dumps/memory.elf']) {
      expect(((await stat(join(folder, name))).mode & 0o777).toString(8)).toBe('444');
    }
  });

  it('refuses an existing folder, paths outside artifacts/, duplicates and changes after sealing', async () => {
    const folder = join(workspace.root, 'bundle');
    const { writer } = await writeBundle(folder);
    await expect(createBundleWriter(folder, identity)).rejects.toBeInstanceOf(WorkbenchFailure);
    await expect(writer.addJson({ path: 'artifacts/more.json', role: 'other' }, {})).rejects.toBeInstanceOf(WorkbenchFailure);

    const second = await createBundleWriter(join(workspace.root, 'second'), identity);
    await expect(second.addArtifact({ path: 'manifest.json', mediaType: 'text/plain', role: 'log' }, 'x')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(second.addArtifact({ path: 'artifacts/../x', mediaType: 'text/plain', role: 'log' }, 'x')).rejects.toMatchObject({
      code: 'BUNDLE_PATH_TRAVERSAL',
    });
    await second.addArtifact({ path: 'artifacts/a.log', mediaType: 'text/plain', role: 'log' }, 'x');
    await expect(second.addArtifact({ path: 'artifacts/a.log', mediaType: 'text/plain', role: 'log' }, 'y')).rejects.toMatchObject({
      code: 'BUNDLE_DUPLICATE_ENTRY',
    });
  });
});

describe('appendCustody', () => {
  it('chains new entries that the reader accepts', async () => {
    const folder = join(workspace.root, 'bundle');
    const { sealed } = await writeBundle(folder);
    const second = await appendCustody(folder, { at: '2026-01-02T04:00:00.000Z', actor: 'analyst', action: 'receive', subject: 'bundle' });
    const third = await appendCustody(folder, { at: '2026-01-02T05:00:00.000Z', actor: 'analyst', action: 'review', subject: 'artifacts/findings.json' });
    expect(second.prev).toBe(sealed.custody[0]?.hash);
    expect(third).toMatchObject({ seq: 3, prev: second.hash });
    const bundle = await openBundle(folder);
    await bundle.close();
    expect(bundle.integrity).toMatchObject({ verified: true, custodyEntries: 3 });
  });

  it('refuses to extend a broken chain', async () => {
    const folder = join(workspace.root, 'bundle');
    await writeBundle(folder);
    await flipByte(join(folder, 'custody.jsonl'), 20);
    await expect(appendCustody(folder, { at: '2026-01-02T04:00:00.000Z', actor: 'a', action: 'receive', subject: 'bundle' })).rejects.toMatchObject({
      code: 'BUNDLE_CUSTODY_BROKEN',
    });
  });
});

describe('packBundle', () => {
  it('packs the same folder to the same bytes, and the archive verifies', async () => {
    const folder = join(workspace.root, 'bundle');
    await writeBundle(folder);
    const first = join(workspace.root, 'first.civic');
    const second = join(workspace.root, 'second.civic');
    await packBundle(folder, first);
    await packBundle(folder, second);
    expect((await readFile(first)).equals(await readFile(second))).toBe(true);
    const bundle = await openBundle(first);
    await bundle.close();
    expect(bundle.integrity.verified).toBe(true);
  });

  it('refuses to pack a damaged folder and leaves no partial file', async () => {
    const folder = join(workspace.root, 'bundle');
    await writeBundle(folder);
    await flipByte(join(folder, 'artifacts/findings.json'));
    const before = await snapshotTree(workspace.root);
    await expect(packBundle(folder, join(workspace.root, 'out.civic'))).rejects.toMatchObject({ code: 'BUNDLE_HASH_MISMATCH' });
    expect(await snapshotTree(workspace.root)).toEqual(before);
  });
});
