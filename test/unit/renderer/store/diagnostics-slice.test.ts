import { describe, expect, it, vi } from 'vitest';
import type { CaptureOutcome, JobSnapshot, VmSummary } from '../../../../preload/api';
import { createWorkbenchStore } from '../../../../renderer/src/store/create-workbench-store';
import { guestLoginOf, toggled } from '../../../../renderer/src/store/diagnostics-slice';
import { createFakeApi, failed, ok } from '../support/fake-api';

const vm: VmSummary = { id: 'qmp:/run/web.sock', kind: 'qmp', name: 'web', state: 'running', memoryBytes: 1, vcpus: 1, qgaChannel: true, cloneable: true, reasons: [] };
const jobId = '11111111-1111-4111-8111-111111111111';

function job(state: JobSnapshot['state']): JobSnapshot {
  return { jobId, kind: 'capture', title: 'Capture web', state, value: state === 'running' ? 0.5 : 1, step: 'Collecting (processes)', startedAt: '2026-01-01T00:00:00Z' };
}

const outcome: CaptureOutcome = {
  jobId,
  bundlePath: '/cases/web.civic',
  access: 'qga',
  strategy: 'precopy',
  cloneId: 'cw-0123456789ab',
  artifacts: [],
  skipped: [],
  failed: [],
  processCount: 2,
  findingCount: 1,
  verified: true,
  keptOnHost: null,
};

describe('diagnostics slice', () => {
  it('toggles a selection without changing the old one', () => {
    const before = new Set(['processes' as const]);
    expect([...toggled(before, 'sockets')]).toEqual(['processes', 'sockets']);
    expect([...toggled(before, 'processes')]).toEqual([]);
    expect([...before]).toEqual(['processes']);
  });

  it('starts a capture with the triage steps, follows its job and opens the capture when it succeeds', async () => {
    const startCapture = vi.fn(async () => ok({ jobId }));
    const getCaptureOutcome = vi.fn(async () => ok(outcome));
    const { api } = createFakeApi({ startCapture, getCaptureOutcome });
    const store = createWorkbenchStore(api);
    store.getState().openCapturePanel('app:lab', vm);
    await store.getState().startCaptureRun();
    expect(startCapture).toHaveBeenCalledWith({
      hostId: 'app:lab',
      vmId: vm.id,
      steps: [{ id: 'processes' }, { id: 'sockets' }, { id: 'system' }, { id: 'kernel-symbols' }],
      access: 'auto',
    });
    expect(store.getState().captureJobId).toBe(jobId);
    store.getState().closeCapturePanel();
    expect(store.getState().captureTarget).not.toBeNull();

    await store.getState().receiveCaptureProgress({ job: job('running') });
    expect(getCaptureOutcome).not.toHaveBeenCalled();
    await store.getState().receiveCaptureProgress({ job: job('succeeded') });
    expect(store.getState().captureOutcome).toEqual(outcome);
    expect(store.getState().captureJobId).toBeNull();
    expect(api.openCapture).toHaveBeenCalledWith({ path: '/cases/web.civic' });
    expect(store.getState().view).toBe('review');
  });

  it('keeps a failed capture error, and refuses per-process steps without pids before asking main', async () => {
    const startCapture = vi.fn(async () => ok({ jobId }));
    const { api } = createFakeApi({ startCapture });
    const store = createWorkbenchStore(api);
    store.getState().openCapturePanel('app:lab', vm);
    store.getState().toggleCaptureStep('backtraces');
    await store.getState().startCaptureRun();
    expect(store.getState().captureProblem).toMatch(/process ids/);
    expect(startCapture).not.toHaveBeenCalled();

    store.getState().setCapturePids('42');
    await store.getState().startCaptureRun();
    const error = { code: 'VM_BUSY' as const, message: 'busy', hint: 'wait' };
    await store.getState().receiveCaptureProgress({ job: { ...job('failed'), error } });
    expect(store.getState().captureRunError).toEqual(error);
    expect(store.getState().captureJobId).toBeNull();
  });

  it('sends a guest login only with a user, and the host key only when typed', async () => {
    expect(guestLoginOf({ user: ' ', identityFile: '/k', hostKeySha256: '' })).toBeUndefined();
    expect(guestLoginOf({ user: 'root', identityFile: ' /k ', hostKeySha256: '' })).toEqual({ user: 'root', identityFile: '/k' });
    const startCapture = vi.fn(async () => ok({ jobId }));
    const { api } = createFakeApi({ startCapture });
    const store = createWorkbenchStore(api);
    store.getState().openCapturePanel('app:lab', { ...vm, qgaChannel: false });
    store.getState().setCaptureLogin({ user: 'root', identityFile: '/k', hostKeySha256: `SHA256:${'a'.repeat(43)}` });
    await store.getState().startCaptureRun();
    expect(startCapture).toHaveBeenCalledWith(expect.objectContaining({ guestLogin: { user: 'root', identityFile: '/k', hostKeySha256: `SHA256:${'a'.repeat(43)}` } }));
  });

  it('shows a refused start', async () => {
    const { api } = createFakeApi({ startCapture: vi.fn(async () => failed('NOT_FOUND')) });
    const store = createWorkbenchStore(api);
    store.getState().openCapturePanel('app:lab', vm);
    await store.getState().startCaptureRun();
    expect(store.getState().captureRunError?.code).toBe('NOT_FOUND');
  });
});
