import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openBundle } from '../../../../main/bundle/bundle-reader';
import { captureName, manifestUuid, runCapture } from '../../../../main/capture-session/capture-pipeline';
import { createCaptureSessionService } from '../../../../main/capture-session/capture-session-service';
import { createJobRunner } from '../../../../main/jobs/job-runner';
import type { CaptureRequest, JobSnapshot } from '../../../../preload/api';
import { fakeCaptureHost } from './fake-capture-host';

let caseDir: string;
let toolkitManifest: string;

beforeEach(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'civic-capture-'));
  toolkitManifest = join(caseDir, '..', `${caseDir.split('/').pop()}-toolkit-manifest.json`);
  await writeFile(toolkitManifest, JSON.stringify({ schemaVersion: 1, key: 'abc', files: [] }));
});
afterEach(async () => {
  await rm(caseDir, { recursive: true, force: true });
  await rm(toolkitManifest, { force: true });
});

const triage: CaptureRequest = {
  hostId: 'app:lab',
  vmId: 'qmp:/run/web.sock',
  steps: [{ id: 'processes' }, { id: 'sockets' }, { id: 'memory-dump' }],
  access: 'auto',
};

function options() {
  return {
    caseDir,
    actor: 'analyst@workstation',
    toolVersion: '0.1.0',
    toolkit: async () => ({ key: 'abc', busyboxPath: '/nonexistent', payloadPath: '/nonexistent', manifestPath: toolkitManifest }),
  };
}

function jobs() {
  const seen: JobSnapshot[] = [];
  return { runner: createJobRunner((job) => seen.push(job)), seen };
}

describe('runCapture', () => {
  it('clones, collects through the agent, and packs a capture that verifies, then destroys the clone', async () => {
    const { host, log } = fakeCaptureHost();
    const { runner, seen } = jobs();
    const outcome = await runner.run('capture', 'Capture web', (context) => runCapture(host, triage, context, options()));

    expect(log.verbs).toEqual(['list', 'clone', 'collect', 'destroy']);
    expect(log.uploads).toBe(1);
    expect(log.args['collect']).toMatchObject({ cloneId: 'cw-0123456789ab', access: 'qga', toolkit: '/root/.cache/civic-workbench/toolkit/abc' });
    expect(outcome).toMatchObject({ access: 'qga', strategy: 'precopy', cloneId: 'cw-0123456789ab', verified: true, processCount: 2, keptOnHost: null });
    expect(outcome.findingCount).toBeGreaterThan(0);
    expect(seen.map((job) => job.step)).toContain('Way in: qemu-guest-agent');

    const bundle = await openBundle(outcome.bundlePath);
    await bundle.close();
    expect(bundle.integrity.verified).toBe(true);
    expect(bundle.manifest.artifacts.map((artifact) => artifact.path).sort()).toEqual([
      'artifacts/findings.json',
      'artifacts/memory.elf',
      'artifacts/processes.json',
      'artifacts/sockets.json',
      'artifacts/toolkit-manifest.json',
    ]);
    expect(bundle.manifest.host).toEqual({ name: 'lab', hostKeySha256: `SHA256:${'A'.repeat(43)}` });
    expect(bundle.manifest.vm).toEqual({ name: 'web', uuid: manifestUuid(null, 'qmp:/run/web.sock') });
    expect(bundle.manifest.commands.map((command) => command.argv.at(-1))).toEqual(['list', 'clone', 'collect', 'processes']);
    // The collector's epoch-second time became ISO UTC.
    expect(bundle.manifest.commands[3]?.startedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(bundle.custody.map((entry) => entry.action)).toEqual(['seal-manifest', 'collected-by', 'downloaded', 'downloaded', 'downloaded', 'verified']);
    // Only the packed capture is left in the case folder.
    expect(await readdir(caseDir)).toEqual([`${captureName('web', bundle.manifest.startedAt, 'cw-0123456789ab')}.civic`]);
  });

  it('without a guest agent channel takes only the memory dump and says what it skipped', async () => {
    const { host, log } = fakeCaptureHost({ qgaChannel: false });
    const { runner } = jobs();
    const outcome = await runner.run('capture', 'Capture web', (context) => runCapture(host, triage, context, options()));
    expect(log.uploads).toBe(0);
    expect(log.args['collect']).toMatchObject({ access: 'none', steps: [{ id: 'memory-dump' }] });
    expect(outcome.access).toBe('none');
    expect(outcome.skipped.map((skip) => skip.step)).toEqual(['processes', 'sockets']);
    expect(outcome.skipped[0]?.reason).toMatch(/no guest agent/);
    expect(outcome.artifacts.map((artifact) => artifact.path)).toEqual(['artifacts/memory.elf']);
  });

  it('refuses before cloning when nothing can be collected', async () => {
    const { host, log } = fakeCaptureHost();
    const { runner } = jobs();
    const request: CaptureRequest = { ...triage, steps: [{ id: 'processes' }], access: 'none' };
    await expect(runner.run('capture', 'Capture web', (context) => runCapture(host, request, context, options()))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(log.verbs).toEqual(['list']);
  });

  it('fails on an artifact whose hash does not match, and still destroys the clone', async () => {
    const { host, log } = fakeCaptureHost({ corrupt: 'artifacts/sockets.json' });
    const { runner } = jobs();
    await expect(runner.run('capture', 'Capture web', (context) => runCapture(host, triage, context, options()))).rejects.toMatchObject({
      code: 'BUNDLE_HASH_MISMATCH',
    });
    expect(log.verbs.at(-1)).toBe('destroy');
    expect(await readdir(caseDir)).toEqual([]);
  });

  it('destroys the clone when cancelled while collecting', async () => {
    const { host, log } = fakeCaptureHost({ hangInCollect: true });
    const { runner } = jobs();
    const started = runner.start('capture', 'Capture web', (context) => runCapture(host, triage, context, options()));
    const cancelled = expect(started.done).rejects.toMatchObject({ code: 'CANCELLED' });
    await vitestWaitFor(() => log.verbs.includes('collect'));
    runner.cancel(started.jobId);
    await cancelled;
    expect(log.verbs.at(-1)).toBe('destroy');
  });

  it('lists the processes of the clone for picked targets and reports a pid the clone does not have as gone', async () => {
    const toolFailure = (pid: number) => ({ step: 'backtraces', pid, code: 'HELPER_FAILED', message: `backtraces for process ${pid} ended with exit 1 (see the artifact).` });
    const { host, log } = fakeCaptureHost({ collectFailed: [toolFailure(200), toolFailure(4242)] });
    const { runner } = jobs();
    const request: CaptureRequest = { ...triage, steps: [{ id: 'backtraces', pids: [200, 4242] }, { id: 'kernel-stacks', pids: [4243] }] };
    const outcome = await runner.run('capture', 'Capture web', (context) => runCapture(host, request, context, options()));
    expect(log.args['collect']).toMatchObject({ steps: [{ id: 'processes' }, { id: 'backtraces', pids: [200, 4242] }, { id: 'kernel-stacks', pids: [4243] }] });
    // 200 runs in the clone: its own failure stands; 4242 is not there: it is named as gone.
    expect(outcome.failed).toEqual([
      toolFailure(200),
      { step: 'backtraces', pid: 4242, code: 'PROCESS_GONE', message: expect.stringMatching(/Process 4242 is not running in this clone/) },
      // The helper said nothing about 4243; the clone's listing has no such process.
      { step: 'kernel-stacks', pid: 4243, code: 'PROCESS_GONE', message: expect.stringMatching(/Process 4243 /) },
    ]);
  });

  it('keeps the memory dump on the host when asked, and does not download it', async () => {
    const { host, log } = fakeCaptureHost();
    const { runner } = jobs();
    const outcome = await runner.run('capture', 'Capture web', (context) =>
      runCapture(host, { ...triage, retention: { hostArtifacts: 'delete', memoryDump: 'keep-on-host' } }, context, options()),
    );
    expect(log.kept).toEqual(['artifacts/memory.elf']);
    expect(outcome.keptOnHost).toMatch(/^\/root\/\.cache\/civic-workbench\/kept\//);
    expect(outcome.artifacts.map((artifact) => artifact.path)).not.toContain('artifacts/memory.elf');
  });
});

describe('capture session service', () => {
  it('answers null while a capture runs and its outcome once done', async () => {
    const { host } = fakeCaptureHost();
    const { runner } = jobs();
    const service = createCaptureSessionService({ jobs: runner, host, options: options() });
    const { jobId } = await service.start(triage);
    expect(await service.outcome(jobId)).toBeNull();
    const outcome = await service.wait(jobId);
    expect(await service.outcome(jobId)).toEqual(outcome);
    await expect(service.outcome('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('throws the capture failure from outcome', async () => {
    const { host } = fakeCaptureHost({ corrupt: 'artifacts/processes.json' });
    const { runner } = jobs();
    const service = createCaptureSessionService({ jobs: runner, host, options: options() });
    const { jobId } = await service.start(triage);
    await expect(service.wait(jobId)).rejects.toMatchObject({ code: 'BUNDLE_HASH_MISMATCH' });
    await expect(service.outcome(jobId)).rejects.toMatchObject({ code: 'BUNDLE_HASH_MISMATCH' });
  });
});

describe('names', () => {
  it('derives a stable lower-case UUID for a VM without one and keeps a real one', () => {
    expect(manifestUuid(null, 'qmp:/a.sock')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(manifestUuid(null, 'qmp:/a.sock')).toBe(manifestUuid(undefined, 'qmp:/a.sock'));
    expect(manifestUuid('0F8FAD5B-D9CB-469F-A165-70867728950E', 'x')).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
  });

  it('makes file names without path separators or leading dots', () => {
    expect(captureName('../evil/vm', '2026-01-01T00:00:00.123Z', 'cw-0123456789ab')).toBe('evil_vm-20260101T000000Z-cw-0123456789ab');
  });
});

/** Resolves once `check` holds, re-checking on each turn of the event loop (no timers). */
async function vitestWaitFor(check: () => boolean): Promise<void> {
  for (let turn = 0; turn < 10_000 && !check(); turn += 1) await new Promise((resolve) => setImmediate(resolve));
  if (!check()) throw new Error('condition never held');
}
