import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openBundle } from '../../../../main/bundle/bundle-reader';
import { runCapture } from '../../../../main/capture-session/capture-pipeline';
import { createJobRunner } from '../../../../main/jobs/job-runner';
import type { CaptureRequest } from '../../../../preload/api';
import { fakeCaptureHost } from './fake-capture-host';

let caseDir: string;
let toolkitManifest: string;

beforeEach(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'civic-capture-listed-'));
  toolkitManifest = join(caseDir, '..', `${caseDir.split('/').pop()}-toolkit-manifest.json`);
  await writeFile(toolkitManifest, JSON.stringify({ schemaVersion: 1, key: 'abc', files: [] }));
});
afterEach(async () => {
  await rm(caseDir, { recursive: true, force: true });
  await rm(toolkitManifest, { force: true });
});

const request: CaptureRequest = { hostId: 'app:lab', vmId: 'libvirt:db01', steps: [{ id: 'memory-dump' }], access: 'auto' };
const options = () => ({
  caseDir,
  actor: 'analyst@workstation',
  toolVersion: '0.1.0',
  toolkit: async () => ({ key: 'abc', busyboxPath: '/nonexistent', payloadPath: '/nonexistent', manifestPath: toolkitManifest }),
});
// The helper's list entry as the hosts service kept it from the listing the user picked from.
const listedDb01 = { id: 'libvirt:db01', kind: 'libvirt', name: 'db01', uuid: '0e3f1c52-7d7c-4a43-9d8e-1b0b5f9b2a11', state: 'running', memoryBytes: null, vcpus: 2, qgaChannel: false, cloneable: true, reasons: [] };

describe('the VM the user picked travels by its key, resolved once', () => {
  it('starts from the listed record: no second list, and the manifest names that VM', async () => {
    const { host, log } = fakeCaptureHost();
    const asked: string[] = [];
    const picked = { ...host, listedVm: async (_hostId: string, vmId: string) => (asked.push(vmId), vmId === 'libvirt:db01' ? listedDb01 : null) };
    const outcome = await createJobRunner(() => undefined).run('capture', 'Capture db01', (context) => runCapture(picked, request, context, options()));
    expect(asked).toEqual(['libvirt:db01']);
    expect(log.verbs).toEqual(['clone', 'collect', 'destroy']);
    expect(log.args['clone']).toMatchObject({ vm: 'libvirt:db01' });
    // The record said no guest agent, so the way in is agentless: the record decided, not a fresh list.
    expect(outcome.access).toBe('none');
    const bundle = await openBundle(outcome.bundlePath);
    await bundle.close();
    expect(bundle.manifest.vm).toEqual({ name: 'db01', uuid: '0e3f1c52-7d7c-4a43-9d8e-1b0b5f9b2a11' });
  });

  it('refuses a listed VM that cannot be cloned before touching it', async () => {
    const { host, log } = fakeCaptureHost();
    const picked = { ...host, listedVm: async () => ({ ...listedDb01, cloneable: false, reasons: ['It is paused.'] }) };
    await expect(createJobRunner(() => undefined).run('capture', 'Capture db01', (context) => runCapture(picked, request, context, options()))).rejects.toMatchObject({
      code: 'VM_NOT_CLONEABLE',
    });
    expect(log.verbs).toEqual([]);
  });

  it('takes only keys: a name is the CLI\'s to resolve, so the pipeline does not match it', async () => {
    const { host } = fakeCaptureHost();
    const byName: CaptureRequest = { ...request, vmId: 'web' };
    await expect(createJobRunner(() => undefined).run('capture', 'Capture web', (context) => runCapture(host, byName, context, options()))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
