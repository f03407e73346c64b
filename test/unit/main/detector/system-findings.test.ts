import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredProcess, SystemDocument } from '../../../../main/bundle/bundle-schema';
import { findingsFor, type StagedArtifact } from '../../../../main/capture-session/capture-bundle';

// The capture pipeline hands the detector the collected system document when there is one.

const at = '2026-01-01T00:00:00.000Z';
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'civic-system-findings-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const init: StoredProcess = {
  pid: 1, ppid: 0, name: 'init', user: 'root', uid: 0, state: 'S', exe: '/sbin/init', exeDeleted: false, argv: ['/sbin/init'],
  environment: [], kernelThread: false, startedAt: at, threads: 1, rssKiB: 100, cpuSeconds: 1,
};

const system: SystemDocument = {
  schemaVersion: 1,
  capturedAt: at,
  kernel: { banner: null, release: null, tainted: 1 << 13, taintFlags: ['E'], uptimeSeconds: null, bootedAt: null },
  modules: [],
  mounts: [],
  ldSoPreload: { present: true, content: '/usr/lib/libhide.so', truncated: false },
  logins: [],
  persistence: [],
  persistenceTruncated: false,
};

async function staged(role: 'processes' | 'system', content: unknown): Promise<StagedArtifact> {
  const localPath = join(root, `${role}.json`);
  await writeFile(localPath, JSON.stringify(content));
  return { artifact: { path: `artifacts/${role}.json`, role, mediaType: 'application/json', size: 0, sha256: '0'.repeat(64), step: 'collect', pid: null }, localPath, verifiedAt: at };
}

describe('findingsFor', () => {
  it('runs the system rules when the system document was collected', async () => {
    const artifacts = [await staged('processes', { schemaVersion: 1, capturedAt: at, processes: [init] }), await staged('system', system)];
    const result = await findingsFor(artifacts, at);
    expect(result?.document.findings.map((finding) => finding.rule)).toEqual(['ld-so-preload', 'kernel-tainted']);
  });

  it('still finds process anomalies, and no system ones, when it was not', async () => {
    const result = await findingsFor([await staged('processes', { schemaVersion: 1, capturedAt: at, processes: [init] })], at);
    expect(result?.document.findings).toEqual([]);
  });
});
