import { describe, expect, it, vi } from 'vitest';
import type { HostVmList } from '../../../../../preload/api';
import { createWorkbenchStore } from '../../../../../renderer/src/store/create-workbench-store';
import { createFakeApi, failed, ok } from '../../support/fake-api';

const vmList: HostVmList = {
  hostId: 'app:1',
  capabilities: {
    qemuVersion: '7.2.22', libvirtVersion: null, accelerator: 'tcg', kvmPresent: false, backgroundSnapshot: true,
    pauseBeforeSwitchover: true, strategies: ['background-snapshot', 'precopy'], root: true, sudo: 'not-needed',
  },
  vms: [{ id: 'qmp:/run/q/web.qmp', kind: 'qmp', name: 'web', state: 'running', memoryBytes: 1, vcpus: 1, qgaChannel: true, cloneable: true, reasons: [] }],
  libvirt: { available: false, reason: 'no virsh' },
  qmpDirs: ['/run/q'],
};

// The hosts methods are not in the shared fake yet; these overrides give the ones this slice calls.
function hostsApi(overrides: Record<string, unknown> = {}) {
  return createFakeApi({
    connectHost: vi.fn(async () => ok(null)),
    listVms: vi.fn(async () => ok(vmList)),
    disconnectHost: vi.fn(async () => ok(null)),
    addHost: vi.fn(async () => failed('VALIDATION_FAILED', 'The port must be 1 to 65535.')),
    answerHostKey: vi.fn(async () => ok(null)),
    ...overrides,
  });
}

describe('hosts slice', () => {
  it('connects, then lists the VMs of the host', async () => {
    const fake = hostsApi();
    const store = createWorkbenchStore(fake.api);
    await store.getState().connectHost('app:1');
    expect(fake.api.connectHost).toHaveBeenCalledWith({ hostId: 'app:1' });
    expect(store.getState().vmLists['app:1']?.vms[0]?.name).toBe('web');
  });

  it('keeps a connect failure per host and clears it on the next try', async () => {
    const fake = hostsApi({ connectHost: vi.fn(async () => failed('HOST_KEY_UNKNOWN')) });
    const store = createWorkbenchStore(fake.api);
    await store.getState().connectHost('app:1');
    expect(store.getState().hostErrors['app:1']?.code).toBe('HOST_KEY_UNKNOWN');
    expect(fake.api.listVms).not.toHaveBeenCalled();
  });

  it('records a lost connection from the state event and forgets VMs when disconnected', async () => {
    const store = createWorkbenchStore(hostsApi().api);
    await store.getState().refreshVms('app:1');
    store.getState().receiveSessionState({ hostId: 'app:1', state: 'lost', error: { code: 'CONNECTION_LOST', message: 'lost', hint: 'h' } });
    expect(store.getState().hostErrors['app:1']?.code).toBe('CONNECTION_LOST');
    expect(store.getState().vmLists['app:1']).toBeDefined();
    store.getState().receiveSessionState({ hostId: 'app:1', state: 'disconnected' });
    expect(store.getState().vmLists['app:1']).toBeUndefined();
  });

  it('answers a host key once and drops it from the queue', async () => {
    const fake = hostsApi();
    const store = createWorkbenchStore(fake.api);
    store.getState().receiveHostKeyPrompt({ promptId: 'p', host: 'h', port: 22, keyType: 'ssh-ed25519', fingerprint: 'SHA256:x' });
    await store.getState().answerHostKey('p', false);
    expect(fake.api.answerHostKey).toHaveBeenCalledWith({ promptId: 'p', accept: false });
    expect(store.getState().hostKeyPrompts).toEqual([]);
  });

  it('keeps the form open with the error main reported', async () => {
    const store = createWorkbenchStore(hostsApi().api);
    await store.getState().openHostForm();
    const saved = await store.getState().saveHost({ alias: 'a', hostName: 'h', port: 22, user: 'root', identityFile: '', proxyJump: '', qmpDirs: [] });
    expect(saved).toBe(false);
    expect(store.getState().hostForm).toEqual({ mode: 'add' });
    expect(store.getState().hostFormError?.code).toBe('VALIDATION_FAILED');
  });
});

describe('testing a host', () => {
  it('keeps the report of a passed test and shows a failure as the host error', async () => {
    const report = { hostId: 'app:1', helperVersion: '0.1.0', protocolVersion: 1, privilege: 'sudo' as const };
    const passing = hostsApi({ testHost: vi.fn(async () => ok(report)) });
    const store = createWorkbenchStore(passing.api);
    await store.getState().testHost('app:1');
    expect(passing.api.testHost).toHaveBeenCalledWith({ hostId: 'app:1' });
    expect(store.getState().hostTests['app:1']).toEqual(report);
    expect(store.getState().hostsTesting['app:1']).toBe(false);

    const failing = hostsApi({ testHost: vi.fn(async () => failed('SUDO_PASSWORD_REQUIRED')) });
    const other = createWorkbenchStore(failing.api);
    await other.getState().testHost('app:1');
    expect(other.getState().hostTests['app:1']).toBeUndefined();
    expect(other.getState().hostErrors['app:1']?.code).toBe('SUDO_PASSWORD_REQUIRED');
  });

  it('marks the list stale after a failed refresh, and fresh again after a good one', async () => {
    const listVms = vi.fn(async () => ok(vmList));
    const store = createWorkbenchStore(hostsApi({ listVms }).api);
    await store.getState().refreshVms('app:1');
    listVms.mockResolvedValueOnce(failed('HELPER_FAILED', 'virsh timed out') as never);
    await store.getState().refreshVms('app:1');
    expect(store.getState().staleVmLists['app:1']).toBe(true);
    expect(store.getState().hostErrors['app:1']?.code).toBe('HELPER_FAILED');
    await store.getState().refreshVms('app:1');
    expect(store.getState().staleVmLists['app:1']).toBeUndefined();
  });

  it('keeps what the app did on a host until dismissed', () => {
    const store = createWorkbenchStore(hostsApi().api);
    const notice = { hostId: 'app:1', noticeId: 'n1', tone: 'info' as const, text: 'Recovered 1 interrupted clone of lab-db: source resumed.', jobIds: ['j1'], at: '2026-01-01T00:00:00Z' };
    store.getState().receiveHostNotice(notice);
    store.getState().receiveHostNotice({ ...notice, noticeId: 'n2' });
    expect(store.getState().hostNotices['app:1']?.map((entry) => entry.noticeId)).toEqual(['n1', 'n2']);
    store.getState().dismissHostNotice('app:1', 'n1');
    expect(store.getState().hostNotices['app:1']?.map((entry) => entry.noticeId)).toEqual(['n2']);
  });
});
