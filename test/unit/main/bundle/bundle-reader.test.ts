import { execFileSync } from 'node:child_process';
import { appendFile, chmod, mkdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBundle } from '../../../../main/bundle/bundle-reader';
import { WorkbenchFailure } from '../../../../main/errors';
import type { ErrorCode } from '../../../../preload/api';
import {
  copyFolder,
  createSampleCopies,
  createWorkspace,
  entryDataRanges,
  flipByte,
  rewriteManifest,
  snapshotTree,
  type SampleCopies,
  type Workspace,
} from './support/bundle-copies';
import { buildRawZip, type RawZipEntry } from './support/raw-zip';

let workspace: Workspace;
let sample: SampleCopies;
let counter = 0;

beforeAll(async () => {
  workspace = await createWorkspace();
  sample = await createSampleCopies(workspace.root);
});
afterAll(async () => {
  await workspace.cleanup();
});

const freshPath = (label: string): string => join(workspace.root, `${label}-${(counter += 1)}`);

async function failureOf(promise: Promise<unknown>): Promise<WorkbenchFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WorkbenchFailure) return error;
    throw new Error(`expected a WorkbenchFailure, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the bundle to be refused');
}

async function expectRefused(path: string, code: ErrorCode, subject?: string): Promise<void> {
  const failure = await failureOf(openBundle(path));
  expect(failure.code).toBe(code);
  if (subject !== undefined) expect(failure.error.subject).toBe(subject);
}

async function sampleFolderCopy(): Promise<string> {
  return copyFolder(sample.folder, freshPath('folder'));
}

async function sampleEntries(): Promise<RawZipEntry[]> {
  const names = ['manifest.json', 'custody.jsonl', ...sample.manifest.artifacts.map((artifact) => artifact.path)];
  return Promise.all(names.map(async (name) => ({ name, data: await readFile(join(sample.folder, name)) })));
}

async function writeZip(entries: readonly RawZipEntry[]): Promise<string> {
  const path = `${freshPath('zip')}.civic`;
  await writeFile(path, buildRawZip(entries));
  return path;
}

describe('openBundle on a valid capture', () => {
  it.each(['folder', 'archive'] as const)('opens and verifies the %s form', async (form) => {
    const progress: number[] = [];
    const bundle = await openBundle(form === 'folder' ? sample.folder : sample.archive, {
      onProgress: (value) => progress.push(value),
    });
    await bundle.close();
    expect(bundle.form).toBe(form === 'folder' ? 'folder' : 'zip');
    expect(bundle.integrity).toMatchObject({ verified: true, artifactsChecked: 4, custodyEntries: 2, problems: [] });
    expect(bundle.integrity.bytesChecked).toBe(sample.manifest.artifacts.reduce((sum, artifact) => sum + artifact.size, 0));
    expect(bundle.manifest.vm.name).toBe('lab-web');
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((left, right) => left - right));
  });

  it('opens a hand-made stored archive of the same files', async () => {
    const bundle = await openBundle(await writeZip(await sampleEntries()));
    await bundle.close();
    expect(bundle.integrity.verified).toBe(true);
  });

  it('reads structured documents and re-checks their hash', async () => {
    const bundle = await openBundle(sample.archive);
    const processes = await bundle.readDocument('processes');
    const findings = await bundle.readDocument('findings');
    await bundle.close();
    expect(processes.processes).toHaveLength(150);
    expect(findings.findings.map((finding) => finding.rule)).toContain('fake-kernel-thread');
  });
});

describe('artifact integrity', () => {
  it('names every artifact whose byte was flipped, folder form', async () => {
    for (const artifact of sample.manifest.artifacts) {
      const folder = await sampleFolderCopy();
      await flipByte(join(folder, artifact.path));
      const bundle = await openBundle(folder);
      await bundle.close();
      expect(bundle.integrity.verified).toBe(false);
      expect(bundle.integrity.problems).toEqual([expect.objectContaining({ code: 'BUNDLE_HASH_MISMATCH', subject: artifact.path })]);
      expect([...bundle.failedArtifacts]).toEqual([artifact.path]);
    }
  });

  it('names every artifact whose byte was flipped, .civic form (deflated data)', async () => {
    const ranges = await entryDataRanges(sample.archive);
    for (const artifact of sample.manifest.artifacts) {
      const range = ranges.get(artifact.path);
      if (!range) throw new Error(`no ${artifact.path} in the sample`);
      const copy = `${freshPath('flipped')}.civic`;
      await writeFile(copy, await readFile(sample.archive));
      await flipByte(copy, range.start + Math.floor(range.length / 2));
      const bundle = await openBundle(copy);
      await bundle.close();
      expect(bundle.integrity.problems).toEqual([expect.objectContaining({ code: 'BUNDLE_HASH_MISMATCH', subject: artifact.path })]);
    }
  });

  it('names every artifact whose byte was flipped, stored archive', async () => {
    for (const artifact of sample.manifest.artifacts) {
      const entries = (await sampleEntries()).map((entry) => {
        if (entry.name !== artifact.path || !(entry.data instanceof Buffer)) return entry;
        const data = Buffer.from(entry.data);
        data[7] = (data[7] ?? 0) ^ 0x01;
        return { ...entry, data };
      });
      const bundle = await openBundle(await writeZip(entries));
      await bundle.close();
      expect(bundle.integrity.problems).toEqual([expect.objectContaining({ code: 'BUNDLE_HASH_MISMATCH', subject: artifact.path })]);
    }
  });

  it('reports a grown artifact as a size mismatch and a removed one as missing', async () => {
    const folder = await sampleFolderCopy();
    await appendFile(join(folder, 'artifacts/helper.log'), 'one more line\n');
    await rm(join(folder, 'artifacts/sockets.json'));
    const bundle = await openBundle(folder);
    await bundle.close();
    expect(bundle.integrity.problems).toEqual([
      expect.objectContaining({ code: 'BUNDLE_ARTIFACT_MISSING', subject: 'artifacts/sockets.json' }),
      expect.objectContaining({ code: 'BUNDLE_SIZE_MISMATCH', subject: 'artifacts/helper.log' }),
    ]);
  });

  it('refuses a document that changed after verification when it is read', async () => {
    const folder = await sampleFolderCopy();
    const bundle = await openBundle(folder);
    await flipByte(join(folder, 'artifacts/findings.json'));
    const failure = await failureOf(bundle.readDocument('findings'));
    await bundle.close();
    expect(failure.code).toBe('BUNDLE_HASH_MISMATCH');
    expect(failure.error.subject).toBe('artifacts/findings.json');
  });
});

describe('hostile entries in a .civic archive', () => {
  const hostile: Array<[string, RawZipEntry, ErrorCode]> = [
    ['a ../ name', { name: '../evil.txt', data: 'owned' }, 'BUNDLE_PATH_TRAVERSAL'],
    ['a nested ../ name', { name: 'artifacts/../../evil.txt', data: 'owned' }, 'BUNDLE_PATH_TRAVERSAL'],
    ['a backslash ..\\ name', { name: 'artifacts\\..\\..\\evil.txt', data: 'owned' }, 'BUNDLE_PATH_TRAVERSAL'],
    ['an absolute name', { name: '/tmp/evil.txt', data: 'owned' }, 'BUNDLE_ABSOLUTE_PATH'],
    ['a Windows drive name', { name: 'C:\\Windows\\evil.txt', data: 'owned' }, 'BUNDLE_ABSOLUTE_PATH'],
    ['a drive-relative name', { name: 'C:evil.txt', data: 'owned' }, 'BUNDLE_ABSOLUTE_PATH'],
    ['a UNC name', { name: '\\\\server\\share\\evil.txt', data: 'owned' }, 'BUNDLE_ABSOLUTE_PATH'],
    ['a symlink entry', { name: 'artifacts/link', data: '/etc/passwd', mode: 0o120777 }, 'BUNDLE_LINK_ENTRY'],
    ['a FIFO entry', { name: 'artifacts/pipe', mode: 0o010644 }, 'BUNDLE_LINK_ENTRY'],
    ['a name that is not UTF-8', { name: Buffer.from([0x61, 0xff, 0x2e, 0x6a]), data: 'x' }, 'BUNDLE_PATH_TRAVERSAL'],
    ['a name with a control character', { name: 'artifacts/\u001b[31mred', data: 'x' }, 'BUNDLE_PATH_TRAVERSAL'],
    ['an unlisted file', { name: 'artifacts/extra.bin', data: 'extra' }, 'BUNDLE_UNLISTED_ENTRY'],
    ['an unlisted folder', { name: 'evidence/', data: '', mode: 0o040755 }, 'BUNDLE_UNLISTED_ENTRY'],
    ['a second manifest', { name: 'manifest.json', data: '{}' }, 'BUNDLE_DUPLICATE_ENTRY'],
  ];

  it.each(hostile)('refuses %s and writes nothing', async (_label, entry, code) => {
    const before = await snapshotTree(workspace.root);
    const zip = await writeZip([...(await sampleEntries()), entry]);
    const afterWrite = await snapshotTree(workspace.root);
    await expectRefused(zip, code);
    expect(await snapshotTree(workspace.root)).toEqual(afterWrite);
    expect(afterWrite.length).toBe(before.length + 1);
    for (const folder of [tmpdir(), process.cwd(), dirname(workspace.root)]) expect(existsSync(join(folder, 'evil.txt'))).toBe(false);
  });

  it('refuses a duplicated artifact entry', async () => {
    const entries = await sampleEntries();
    await expectRefused(await writeZip([...entries, entries[2] as RawZipEntry]), 'BUNDLE_DUPLICATE_ENTRY', 'artifacts/processes.json');
  });

  it('refuses an archive without a manifest', async () => {
    const entries = (await sampleEntries()).filter((entry) => entry.name !== 'manifest.json');
    await expectRefused(await writeZip(entries), 'BUNDLE_MANIFEST_MISSING');
  });
});

describe('hostile entries in a bundle folder', () => {
  it('refuses a symlinked artifact and a symlinked manifest', async () => {
    const folder = await sampleFolderCopy();
    await rm(join(folder, 'artifacts/helper.log'));
    await symlink('/etc/passwd', join(folder, 'artifacts/helper.log'));
    await expectRefused(folder, 'BUNDLE_LINK_ENTRY', 'artifacts/helper.log');

    const second = await sampleFolderCopy();
    await rm(join(second, 'manifest.json'));
    await symlink(join(sample.folder, 'manifest.json'), join(second, 'manifest.json'));
    await expectRefused(second, 'BUNDLE_LINK_ENTRY', 'manifest.json');
  });

  it('refuses a symlinked folder and a FIFO', async () => {
    const folder = await sampleFolderCopy();
    await symlink('/etc', join(folder, 'artifacts/etc'));
    await expectRefused(folder, 'BUNDLE_LINK_ENTRY', 'artifacts/etc');

    const second = await sampleFolderCopy();
    execFileSync('mkfifo', [join(second, 'artifacts/pipe')]);
    await expectRefused(second, 'BUNDLE_LINK_ENTRY', 'artifacts/pipe');
  });

  it('refuses unlisted files and folders', async () => {
    const folder = await sampleFolderCopy();
    await writeFile(join(folder, 'artifacts/extra.bin'), 'extra');
    await expectRefused(folder, 'BUNDLE_UNLISTED_ENTRY', 'artifacts/extra.bin');

    const second = await sampleFolderCopy();
    await mkdir(join(second, 'notes'));
    await expectRefused(second, 'BUNDLE_UNLISTED_ENTRY', 'notes');
  });

  it.each([
    ['../outside.txt', 'BUNDLE_PATH_TRAVERSAL'],
    ['artifacts/../../outside.txt', 'BUNDLE_PATH_TRAVERSAL'],
    ['/etc/passwd', 'BUNDLE_ABSOLUTE_PATH'],
    ['C:\\Windows\\win.ini', 'BUNDLE_ABSOLUTE_PATH'],
    ['artifacts\\helper.log', 'BUNDLE_PATH_TRAVERSAL'],
  ] as const)('refuses a manifest that lists %s, reading nothing outside', async (path, code) => {
    const folder = await sampleFolderCopy();
    await writeFile(join(workspace.root, 'outside.txt'), 'outside');
    await rewriteManifest(folder, (manifest) => {
      const artifacts = manifest['artifacts'] as Array<Record<string, unknown>>;
      artifacts.push({ path, mediaType: 'text/plain', size: 7, sha256: '0'.repeat(64), role: 'file' });
    });
    const before = await snapshotTree(workspace.root);
    await expectRefused(folder, code);
    expect(await snapshotTree(workspace.root)).toEqual(before);
  });

  it('refuses a manifest that lists an artifact twice', async () => {
    const folder = await sampleFolderCopy();
    await rewriteManifest(folder, (manifest) => {
      const artifacts = manifest['artifacts'] as unknown[];
      artifacts.push(artifacts[0]);
    });
    await expectRefused(folder, 'BUNDLE_DUPLICATE_ENTRY', 'artifacts/processes.json');
  });
});

describe('documents over the caps', () => {
  it('refuses a manifest over 1 MiB before parsing it', async () => {
    const folder = await sampleFolderCopy();
    const manifest = await readFile(join(folder, 'manifest.json'), 'utf8');
    await writeFile(join(folder, 'manifest.json'), manifest + ' '.repeat(1024 * 1024));
    await expectRefused(folder, 'BUNDLE_DOCUMENT_TOO_LARGE', 'manifest.json');
  });

  it('refuses a 2000-deep manifest without blowing the stack', async () => {
    const folder = await sampleFolderCopy();
    await writeFile(join(folder, 'manifest.json'), '['.repeat(2000) + ']'.repeat(2000));
    await expectRefused(folder, 'BUNDLE_DOCUMENT_TOO_DEEP', 'manifest.json');
  });

  it('refuses a 2000-deep structured artifact whose hash is right', async () => {
    const folder = await sampleFolderCopy();
    const deep = Buffer.from('{"a":'.repeat(2000) + '1' + '}'.repeat(2000));
    await writeFile(join(folder, 'artifacts/findings.json'), deep);
    const { createHash } = await import('node:crypto');
    await rewriteManifest(folder, (manifest) => {
      const artifacts = manifest['artifacts'] as Array<Record<string, unknown>>;
      const findings = artifacts.find((artifact) => artifact['role'] === 'findings');
      if (findings) Object.assign(findings, { size: deep.length, sha256: createHash('sha256').update(deep).digest('hex') });
    });
    const bundle = await openBundle(folder);
    const failure = await failureOf(bundle.readDocument('findings'));
    await bundle.close();
    expect(failure.code).toBe('BUNDLE_DOCUMENT_TOO_DEEP');
    expect(failure.error.subject).toBe('artifacts/findings.json');
  });

  it('refuses a structured artifact over 64 MiB', async () => {
    const folder = await sampleFolderCopy();
    const big = Buffer.alloc(64 * 1024 * 1024 + 2, 0x20);
    big[0] = 0x5b;
    big[big.length - 1] = 0x5d;
    await writeFile(join(folder, 'artifacts/sockets.json'), big);
    const { createHash } = await import('node:crypto');
    await rewriteManifest(folder, (manifest) => {
      const artifacts = manifest['artifacts'] as Array<Record<string, unknown>>;
      const sockets = artifacts.find((artifact) => artifact['role'] === 'sockets');
      if (sockets) Object.assign(sockets, { size: big.length, sha256: createHash('sha256').update(big).digest('hex') });
    });
    const bundle = await openBundle(folder);
    const failure = await failureOf(bundle.readDocument('sockets'));
    await bundle.close();
    expect(failure.code).toBe('BUNDLE_DOCUMENT_TOO_LARGE');
    expect(failure.error.subject).toBe('artifacts/sockets.json');
  });

  it('refuses malformed JSON and off-schema documents with BUNDLE_DOCUMENT_INVALID', async () => {
    const { createHash } = await import('node:crypto');
    for (const body of ['{"schemaVersion": 1, "generatedAt": ', '{"schemaVersion": 1, "generatedAt": "yesterday", "findings": []}']) {
      const folder = await sampleFolderCopy();
      await writeFile(join(folder, 'artifacts/findings.json'), body);
      await rewriteManifest(folder, (manifest) => {
        const artifacts = manifest['artifacts'] as Array<Record<string, unknown>>;
        const findings = artifacts.find((artifact) => artifact['role'] === 'findings');
        if (findings) Object.assign(findings, { size: Buffer.byteLength(body), sha256: createHash('sha256').update(body).digest('hex') });
      });
      const bundle = await openBundle(folder);
      const failure = await failureOf(bundle.readDocument('findings'));
      await bundle.close();
      expect(failure.code).toBe('BUNDLE_DOCUMENT_INVALID');
    }
  });
});

describe('manifest problems', () => {
  it.each([
    ['an unknown field', (manifest: Record<string, unknown>) => Object.assign(manifest, { extra: true }), 'BUNDLE_SCHEMA_INVALID'],
    ['a missing VM', (manifest: Record<string, unknown>) => delete manifest['vm'], 'BUNDLE_SCHEMA_INVALID'],
    ['a time without Z', (manifest: Record<string, unknown>) => Object.assign(manifest, { startedAt: '2026-03-14T09:26:53' }), 'BUNDLE_SCHEMA_INVALID'],
    ['a bad fingerprint', (manifest: Record<string, unknown>) => Object.assign(manifest, { host: { name: 'h', hostKeySha256: 'MD5:aa' } }), 'BUNDLE_SCHEMA_INVALID'],
    ['another format', (manifest: Record<string, unknown>) => Object.assign(manifest, { format: 'something-else' }), 'BUNDLE_SCHEMA_INVALID'],
    ['a newer version', (manifest: Record<string, unknown>) => Object.assign(manifest, { schemaVersion: 2 }), 'BUNDLE_VERSION_UNSUPPORTED'],
  ] as const)('refuses %s', async (_label, change, code) => {
    const folder = await sampleFolderCopy();
    await rewriteManifest(folder, change);
    await expectRefused(folder, code, 'manifest.json');
  });

  it('refuses a manifest that is not JSON', async () => {
    const folder = await sampleFolderCopy();
    await writeFile(join(folder, 'manifest.json'), Buffer.from([0x7b, 0xff, 0x7d]));
    await expectRefused(folder, 'BUNDLE_SCHEMA_INVALID', 'manifest.json');
  });

  it('tells a missing path, a folder without manifest and a file that is not an archive apart', async () => {
    await expectRefused(join(workspace.root, 'no-such-capture.civic'), 'BUNDLE_NOT_FOUND');
    const empty = freshPath('empty');
    await mkdir(empty);
    await expectRefused(empty, 'BUNDLE_NOT_A_CAPTURE');
    const manifestRemoved = freshPath('manifest-removed');
    await mkdir(manifestRemoved);
    await writeFile(join(manifestRemoved, 'custody.jsonl'), '');
    await expectRefused(manifestRemoved, 'BUNDLE_MANIFEST_MISSING');
    const text = `${freshPath('text')}.civic`;
    await writeFile(text, 'this is a text file, not a capture\n');
    await expectRefused(text, 'BUNDLE_NOT_A_CAPTURE');
  });
});

describe('truncated archives', () => {
  it('gives BUNDLE_TRUNCATED wherever the archive is cut', async () => {
    const bytes = await readFile(sample.archive);
    const ranges = await entryDataRanges(sample.archive);
    const processes = ranges.get('artifacts/processes.json');
    const cuts = [0, 1, 3, 30, 200, processes ? processes.start + 100 : 500, Math.floor(bytes.length / 2), bytes.length - 200, bytes.length - 22, bytes.length - 1];
    for (const cut of cuts) {
      const path = `${freshPath('cut')}.civic`;
      await writeFile(path, bytes);
      await truncate(path, cut);
      const failure = await failureOf(openBundle(path));
      expect({ cut, code: failure.code }).toEqual({ cut, code: 'BUNDLE_TRUNCATED' });
    }
  });
});

describe('damaged archives', () => {
  it('answers every flipped byte with a verified capture, integrity problems or a BUNDLE_ code, never a crash', async () => {
    const bytes = await readFile(sample.archive);
    const outcomes = new Set<string>();
    for (let position = 0; position < bytes.length; position += 53) {
      const damaged = Buffer.from(bytes);
      damaged[position] = (damaged[position] ?? 0) ^ 0x5a;
      const path = `${freshPath('damaged')}.civic`;
      await writeFile(path, damaged);
      try {
        const bundle = await openBundle(path);
        await bundle.close();
        outcomes.add(bundle.integrity.verified ? 'verified' : 'problems');
      } catch (error) {
        expect(error).toBeInstanceOf(WorkbenchFailure);
        expect((error as WorkbenchFailure).code).toMatch(/^BUNDLE_/);
        outcomes.add((error as WorkbenchFailure).code);
      }
      await rm(path);
    }
    expect(outcomes.has('problems')).toBe(true);
  });
});

describe('custody chain', () => {
  async function custodyLines(folder: string): Promise<Array<Record<string, unknown>>> {
    const text = await readFile(join(folder, 'custody.jsonl'), 'utf8');
    return text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  async function writeCustody(folder: string, entries: ReadonlyArray<Record<string, unknown>>): Promise<void> {
    await chmod(join(folder, 'custody.jsonl'), 0o644);
    await writeFile(join(folder, 'custody.jsonl'), entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n');
  }

  async function custodyProblems(folder: string) {
    const bundle = await openBundle(folder);
    await bundle.close();
    return bundle.integrity.problems;
  }

  it('detects an edited entry and names its seq', async () => {
    const folder = await sampleFolderCopy();
    const entries = await custodyLines(folder);
    entries[1] = { ...entries[1], actor: 'someone-else' };
    await writeCustody(folder, entries);
    expect(await custodyProblems(folder)).toEqual([expect.objectContaining({ code: 'BUNDLE_CUSTODY_BROKEN', subject: 'custody.jsonl#2' })]);
  });

  it('detects a removed first entry, a reordered log and a forged entry', async () => {
    const entries = await custodyLines(sample.folder);
    const removed = await sampleFolderCopy();
    await writeCustody(removed, entries.slice(1));
    expect(await custodyProblems(removed)).toEqual([expect.objectContaining({ code: 'BUNDLE_CUSTODY_BROKEN', subject: 'custody.jsonl#1' })]);

    const reordered = await sampleFolderCopy();
    await writeCustody(reordered, [...entries].reverse());
    expect(await custodyProblems(reordered)).toEqual([expect.objectContaining({ code: 'BUNDLE_CUSTODY_BROKEN', subject: 'custody.jsonl#1' })]);

    const forged = await sampleFolderCopy();
    await writeCustody(forged, [...entries, { ...entries[1], seq: 3, hash: 'f'.repeat(64) }]);
    expect(await custodyProblems(forged)).toEqual([expect.objectContaining({ code: 'BUNDLE_CUSTODY_BROKEN', subject: 'custody.jsonl#3' })]);
  });

  it('detects a manifest changed after sealing even when its artifacts still match', async () => {
    const folder = await sampleFolderCopy();
    await rewriteManifest(folder, (manifest) => Object.assign(manifest, { vm: { name: 'other-vm', uuid: '8f14e45f-ceea-467f-a0e6-2a9b6c3d1e07' } }));
    expect(await custodyProblems(folder)).toEqual([expect.objectContaining({ code: 'BUNDLE_CUSTODY_BROKEN', subject: 'custody.jsonl#1' })]);
  });

  it('reports a missing custody log', async () => {
    const folder = await sampleFolderCopy();
    await rm(join(folder, 'custody.jsonl'));
    expect(await custodyProblems(folder)).toEqual([expect.objectContaining({ code: 'BUNDLE_CUSTODY_BROKEN', subject: 'custody.jsonl' })]);
  });
});

describe('cancel', () => {
  it('stops with CANCELLED when the signal fires during verification', async () => {
    const controller = new AbortController();
    const failure = await failureOf(
      openBundle(sample.archive, {
        signal: controller.signal,
        onProgress: (value) => {
          if (value > 0) controller.abort();
        },
      }),
    );
    expect(failure.code).toBe('CANCELLED');
  });
});
