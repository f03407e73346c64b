import { createHash } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CustodyEntry } from '../../../../../preload/api';
import { appendCustody, createBundleWriter } from '../../../../../main/bundle/bundle-writer';
import { SEAL_ACTION, custodyLine, nextCustodyEntry } from '../../../../../main/bundle/custody';
import type { StoredProcess } from '../../../../../main/bundle/bundle-schema';
import { sampleIdentity } from '../../../../../test/support/samples/sample-capture';

/** A stored process with defaults, for documents written by tests. */
export function storedProcess(pid: number, ppid: number, extra: Partial<StoredProcess> = {}): StoredProcess {
  return {
    pid,
    ppid,
    name: `p${pid}`,
    user: 'root',
    uid: 0,
    state: 'S',
    exe: `/usr/bin/p${pid}`,
    exeDeleted: false,
    argv: [`p${pid}`],
    kernelThread: false,
    startedAt: null,
    threads: 1,
    rssKiB: 1,
    cpuSeconds: 0,
    ...extra,
  };
}

/** The text of a JSON value nested `depth` arrays deep. */
export function deepJson(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/**
 * Writes and seals a bundle folder whose processes and findings documents are exactly the given text
 * (valid or hostile), plus one `receive` custody entry.
 */
export async function writeBundleWith(folder: string, documents: { readonly processes?: string; readonly findings?: string }): Promise<void> {
  const writer = await createBundleWriter(folder, sampleIdentity);
  const processes = documents.processes ?? JSON.stringify({ schemaVersion: 1, capturedAt: '2026-03-14T09:27:01.310Z', processes: [storedProcess(1, 0)] });
  await writer.addArtifact({ path: 'artifacts/processes.json', mediaType: 'application/json', role: 'processes' }, processes);
  const findings = documents.findings ?? JSON.stringify({ schemaVersion: 1, generatedAt: '2026-03-14T09:29:31.004Z', findings: [] });
  await writer.addArtifact({ path: 'artifacts/findings.json', mediaType: 'application/json', role: 'findings' }, findings);
  await writer.seal({ endedAt: '2026-03-14T09:29:40.000Z', actor: 'test@workstation' });
  // An explicit time the writer raises to the seal's if need be (and which older writers required).
  await appendCustody(folder, { at: '2026-03-14T09:29:47.000Z', actor: 'test@workstation', action: 'receive', subject: 'bundle' });
}

/** Reads a folder's custody log as entries. */
export async function readCustody(folder: string): Promise<CustodyEntry[]> {
  const text = await readFile(join(folder, 'custody.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as CustodyEntry);
}

/**
 * Rewrites a folder's custody log as a forger would: entries changed by `edit`, then every hash
 * recomputed, and entry 1 sealing the manifest as it now is. The chain alone cannot tell.
 */
export async function rechainCustody(folder: string, edit: (entries: CustodyEntry[]) => CustodyEntry[] = (entries) => entries): Promise<void> {
  const manifestSha256 = createHash('sha256').update(await readFile(join(folder, 'manifest.json'))).digest('hex');
  const edited = edit(await readCustody(folder));
  let previous: CustodyEntry | undefined;
  let text = '';
  for (const entry of edited) {
    const event =
      entry.seq === 1
        ? { at: entry.at, actor: entry.actor, action: SEAL_ACTION, subject: 'manifest.json', sha256: manifestSha256 }
        : { at: entry.at, actor: entry.actor, action: entry.action, subject: entry.subject, ...(entry.sha256 === undefined ? {} : { sha256: entry.sha256 }) };
    previous = nextCustodyEntry(previous, event);
    text += custodyLine(previous);
  }
  const path = join(folder, 'custody.jsonl');
  await chmod(path, 0o644);
  await writeFile(path, text);
}

/** Rewrites one artifact's manifest record (size, hash) and re-chains custody, as a forger would. */
export async function forgeArtifactRecord(folder: string, path: string, record: { readonly size: number; readonly sha256: string }): Promise<void> {
  const manifestPath = join(folder, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { artifacts: { path: string; size: number; sha256: string }[] };
  for (const artifact of manifest.artifacts) {
    if (artifact.path === path) Object.assign(artifact, record);
  }
  await chmod(manifestPath, 0o644);
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  await rechainCustody(folder);
}
