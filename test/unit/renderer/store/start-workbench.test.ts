import { describe, expect, it, vi } from 'vitest';
import type { HostEntry, SessionStateEvent } from '../../../../preload/api';
import { createWorkbenchStore } from '../../../../renderer/src/store/create-workbench-store';
import { startWorkbench } from '../../../../renderer/src/store/start-workbench';
import { createFakeApi, ok } from '../support/fake-api';

const host: HostEntry = { id: 'app:1', alias: 'kvm1', hostName: 'kvm1.example', user: 'root', port: 22, source: 'app' };

/** Settles every promise the start-up fired (the fake answers at once). */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 10; turn += 1) await Promise.resolve();
}

describe('start-up and resync with the service', () => {
  it('shows a host the service already holds connected, without waiting for an event (a reload, a second tab)', async () => {
    const fake = createFakeApi({ listHosts: vi.fn(async () => ok([host])), listSessions: vi.fn(async () => ok([{ hostId: 'app:1', state: 'connected' as const }])) });
    const store = createWorkbenchStore(fake.api);
    startWorkbench(store, { api: fake.api, onConnectionLost: () => () => undefined, onReconnected: () => () => undefined });
    await settle();
    expect(store.getState().sessionStates).toEqual({ 'app:1': 'connected' });
  });

  it('re-reads sessions, hosts and jobs when the socket comes back, and drops the banner', async () => {
    let sessions: readonly SessionStateEvent[] = [{ hostId: 'app:1', state: 'connected' }];
    const fake = createFakeApi({ listHosts: vi.fn(async () => ok([host])), listSessions: vi.fn(async () => ok(sessions)) });
    let lose: () => void = () => undefined;
    let comeBack: () => void = () => undefined;
    const store = createWorkbenchStore(fake.api);
    startWorkbench(store, {
      api: fake.api,
      onConnectionLost: (listener) => ((lose = listener), () => undefined),
      onReconnected: (listener) => ((comeBack = listener), () => undefined),
    });
    await settle();
    lose();
    expect(store.getState().connectionLost).toBe(true);
    // While the socket was down the host dropped; its disconnected event never reached this page.
    sessions = [{ hostId: 'app:1', state: 'disconnected' }];
    const jobsBefore = vi.mocked(fake.api.listJobs).mock.calls.length;
    comeBack();
    await settle();
    expect(store.getState().connectionLost).toBe(false);
    expect(store.getState().sessionStates).toEqual({ 'app:1': 'disconnected' });
    expect(vi.mocked(fake.api.listJobs).mock.calls.length).toBe(jobsBefore + 1);
    expect(vi.mocked(fake.api.listHosts).mock.calls.length).toBe(2);
  });

  it('shows the host connected after Connect on a host the service already held connected (no event comes)', async () => {
    const fake = createFakeApi({
      listHosts: vi.fn(async () => ok([host])),
      connectHost: vi.fn(async () => ok(null)),
      listSessions: vi.fn(async () => ok([{ hostId: 'app:1', state: 'connected' as const }])),
    });
    const store = createWorkbenchStore(fake.api);
    store.setState({ sessionStates: { 'app:1': 'disconnected' } });
    await store.getState().connectHost('app:1');
    expect(store.getState().sessionStates['app:1']).toBe('connected');
  });
});
