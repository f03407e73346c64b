import { describe, expect, it, vi } from 'vitest';
import type { CaptureOutcome, JobSnapshot, VmSummary } from '../../../../../preload/api';
import { createWorkbenchStore } from '../../../../../renderer/src/store/create-workbench-store';
import { createFakeApi, ok } from '../../support/fake-api';
import { sampleOverview, sampleProcesses } from '../../support/sample-capture';

const vm: VmSummary = { id: 'qmp:/run/web.sock', kind: 'qmp', name: 'web', state: 'running', memoryBytes: 1, vcpus: 1, qgaChannel: true, cloneable: true, reasons: [] };
const listingJobId = '22222222-2222-4222-8222-222222222222';
const captureJobId = '33333333-3333-4333-8333-333333333333';

function job(jobId: string, state: JobSnapshot['state'], error?: JobSnapshot['error']): JobSnapshot {
  return { jobId, kind: 'capture', title: 'Capture web', state, value: 1, step: 'Done', startedAt: '2026-01-01T00:00:00Z', ...(error ? { error } : {}) };
}

function outcomeOf(jobId: string, change: Partial<CaptureOutcome> = {}): CaptureOutcome {
  return {
    jobId,
    bundlePath: `/cases/${jobId}.civic`,
    access: 'qga',
    strategy: 'precopy',
    cloneId: 'cw-0123456789ab',
    artifacts: [],
    skipped: [],
    failed: [],
    processCount: sampleProcesses.length,
    findingCount: 0,
    verified: true,
    keptOnHost: null,
    ...change,
  };
}

describe('quick listing in the diagnostics slice', () => {
  it('lists the clone through a processes-only capture, reads its bundle, and picked pids become the targets', async () => {
    const startCapture = vi.fn(async () => ok({ jobId: startCapture.mock.calls.length === 1 ? listingJobId : captureJobId }));
    const getCaptureOutcome = vi.fn(async ({ jobId }: { jobId: string }) => ok(outcomeOf(jobId)));
    const { api } = createFakeApi({ startCapture, getCaptureOutcome });
    const store = createWorkbenchStore(api);
    store.getState().showView('hosts');
    store.getState().openCapturePanel('app:lab', vm);
    await store.getState().startQuickListing();
    expect(startCapture).toHaveBeenLastCalledWith({ hostId: 'app:lab', vmId: vm.id, steps: [{ id: 'processes' }], access: 'auto' });
    expect(store.getState().listingJobId).toBe(listingJobId);
    // While it runs the panel stays and no capture starts beside it.
    store.getState().closeCapturePanel();
    expect(store.getState().captureTarget).not.toBeNull();
    await store.getState().startCaptureRun();
    expect(startCapture).toHaveBeenCalledTimes(1);

    await store.getState().receiveCaptureProgress({ job: job(listingJobId, 'succeeded') });
    expect(api.openCapture).toHaveBeenCalledWith({ path: `/cases/${listingJobId}.civic` });
    expect(api.closeCapture).toHaveBeenCalledWith({ handle: sampleOverview.handle });
    expect(store.getState().listing).toEqual({ bundlePath: `/cases/${listingJobId}.civic`, listedAt: sampleOverview.provenance.startedAt, processes: sampleProcesses });
    expect(store.getState().listingJobId).toBeNull();
    // The listing is not opened in Review: the user is still choosing targets.
    expect(store.getState().view).toBe('hosts');

    store.getState().toggleCaptureStep('backtraces');
    store.getState().togglePickedPid(1337);
    store.getState().togglePickedPid(800);
    store.getState().togglePickedPid(800);
    expect(store.getState().capturePids).toBe('1337');
    await store.getState().startCaptureRun();
    expect(startCapture).toHaveBeenLastCalledWith(
      expect.objectContaining({ steps: [{ id: 'processes' }, { id: 'sockets' }, { id: 'system' }, { id: 'kernel-symbols' }, { id: 'backtraces', pids: [1337] }] }),
    );
  });

  it('says why a listing has no processes, and keeps a failed or cancelled listing as its error', async () => {
    const startCapture = vi.fn(async () => ok({ jobId: listingJobId }));
    const getCaptureOutcome = vi.fn(async () => ok(outcomeOf(listingJobId, { skipped: [{ step: 'processes', reason: 'The guest agent does not answer.' }] })));
    const { api } = createFakeApi({ startCapture, getCaptureOutcome });
    const store = createWorkbenchStore(api);
    store.getState().openCapturePanel('app:lab', vm);
    await store.getState().startQuickListing();
    await store.getState().receiveCaptureProgress({ job: job(listingJobId, 'succeeded') });
    expect(store.getState().listingError?.message).toMatch(/no processes: The guest agent does not answer/);
    expect(api.openCapture).not.toHaveBeenCalled();

    await store.getState().startQuickListing();
    await store.getState().cancelQuickListing();
    expect(api.cancelJob).toHaveBeenCalledWith({ jobId: listingJobId });
    const cancelled = { code: 'CANCELLED' as const, message: 'Cancelled.', hint: 'Start it again.' };
    await store.getState().receiveCaptureProgress({ job: job(listingJobId, 'cancelled', cancelled) });
    expect(store.getState().listingError).toEqual(cancelled);
    expect(store.getState().listingJobId).toBeNull();
    expect(store.getState().listing).toBeNull();
  });
});
