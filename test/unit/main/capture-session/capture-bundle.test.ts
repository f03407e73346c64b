import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBundle } from '../../../../main/bundle/bundle-reader';
import { writeCaptureBundle, type StagedArtifact } from '../../../../main/capture-session/capture-bundle';
import { createWorkstationKeyStore } from '../../../../main/storage/workstation-key';
import { sampleIdentity } from '../../../../test/support/samples/sample-capture';
import { createWorkspace, type Workspace } from '../bundle/support/bundle-copies';
import { storedProcess } from '../bundle/support/custom-bundle';

let workspace: Workspace;
let staged: StagedArtifact;
beforeAll(async () => {
  workspace = await createWorkspace();
  const text = JSON.stringify({ schemaVersion: 1, capturedAt: '2026-03-14T09:27:01.310Z', processes: [storedProcess(1, 0), storedProcess(50, 1)] });
  const localPath = join(workspace.root, 'processes.json');
  await writeFile(localPath, text);
  staged = {
    artifact: {
      path: 'artifacts/processes.json',
      role: 'processes',
      mediaType: 'application/json',
      size: Buffer.byteLength(text),
      sha256: createHash('sha256').update(text).digest('hex'),
      step: 'processes',
      pid: null,
    },
    localPath,
    // Long before the bundle is written, as on a slow download: the old writer put these in custody.
    verifiedAt: '2026-03-14T09:00:02.000Z',
  };
});
afterAll(async () => {
  await workspace.cleanup();
});

const input = {
  identity: sampleIdentity,
  commands: [],
  toolkitManifestPath: null,
  actor: 'analyst@desk',
  collectedAt: '2026-03-14T09:00:01.000Z',
  endedAt: '2099-01-01T00:00:00.000Z',
};

describe('writeCaptureBundle', () => {
  it('stamps every custody entry from one clock, so times never go backwards', async () => {
    const written = await writeCaptureBundle(join(workspace.root, 'case-a'), 'capture', { ...input, artifacts: [staged] });
    const bundle = await openBundle(written.bundlePath);
    await bundle.close();
    const times = bundle.custody.map((entry) => Date.parse(entry.at));
    expect(bundle.custody.map((entry) => entry.action)).toEqual(['seal-manifest', 'collected-by', 'downloaded', 'verified']);
    expect([...times].sort((left, right) => left - right)).toEqual(times);
    expect(bundle.integrity.warnings).toEqual([]);
    expect(bundle.integrity.signature).toEqual({ state: 'unsigned' });
  });

  it('signs the capture with the workstation key when given one', async () => {
    const store = createWorkstationKeyStore(join(workspace.root, 'app-data'));
    const key = await store.info();
    const written = await writeCaptureBundle(join(workspace.root, 'case-b'), 'capture', { ...input, artifacts: [staged], signer: () => store.signer() });
    expect(written.integrity.verified).toBe(true);
    expect(written.integrity.signature).toMatchObject({ state: 'valid', signer: { fingerprint: key.fingerprint, name: null }, custodyEntriesSigned: 4 });
  });
});
