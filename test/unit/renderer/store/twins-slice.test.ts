import { describe, expect, it, vi } from 'vitest';
import { createWorkbenchStore } from '../../../../renderer/src/store/create-workbench-store';
import { startWorkbench } from '../../../../renderer/src/store/start-workbench';
import { createFakeApi, failed, ok } from '../support/fake-api';
import { sampleTwin } from '../support/sample-twins';

async function settle(): Promise<void> {
  for (let round = 0; round < 5; round++) await Promise.resolve();
}

describe('twins slice', () => {
  it('replaces a host\u2019s twins on every twinsChanged event', async () => {
    const fake = createFakeApi();
    const store = createWorkbenchStore(fake.api);
    const stop = startWorkbench(store, { api: fake.api, onConnectionLost: () => () => undefined, onReconnected: () => () => undefined });
    fake.emitTwinsChanged({ hostId: 'app:1', twins: [sampleTwin(), sampleTwin({ twinId: 'twin-2' })] });
    expect(store.getState().twins['app:1']?.length).toBe(2);
    fake.emitTwinsChanged({ hostId: 'app:1', twins: [sampleTwin({ twinId: 'twin-2' })] });
    expect(store.getState().twins['app:1']?.map((twin) => twin.twinId)).toEqual(['twin-2']);
    stop();
  });

  it('lists a host\u2019s twins when it connects and forgets them when it disconnects', async () => {
    const fake = createFakeApi({ listTwins: vi.fn(async () => ok([sampleTwin()])) });
    const store = createWorkbenchStore(fake.api);
    const stop = startWorkbench(store, { api: fake.api, onConnectionLost: () => () => undefined, onReconnected: () => () => undefined });
    fake.emitSessionState({ hostId: 'app:1', state: 'connected' });
    await settle();
    expect(fake.api.listTwins).toHaveBeenCalledWith({ hostId: 'app:1' });
    expect(store.getState().twins['app:1']?.[0]?.twinId).toBe('twin-1');
    fake.emitSessionState({ hostId: 'app:1', state: 'disconnected' });
    expect(store.getState().twins['app:1']).toBeUndefined();
    stop();
  });

  it("renews by the twin's own TTL and keeps the answer", async () => {
    const renewed = sampleTwin({ expiresAt: '2026-06-01T13:00:00.000Z' });
    const fake = createFakeApi({ renewTwin: vi.fn(async () => ok(renewed)) });
    const store = createWorkbenchStore(fake.api);
    store.getState().receiveTwinsChanged({ hostId: 'app:1', twins: [sampleTwin({ ttlSeconds: 900 })] });
    await store.getState().renewTwin('app:1', 'twin-1');
    expect(fake.api.renewTwin).toHaveBeenCalledWith({ hostId: 'app:1', twinId: 'twin-1', ttlSeconds: 900 });
    expect(store.getState().twins['app:1']?.[0]?.expiresAt).toBe('2026-06-01T13:00:00.000Z');
  });

  it('keeps a refused start as the host\u2019s twin error', async () => {
    const fake = createFakeApi({ startTwin: vi.fn(async () => failed('VM_NOT_CLONEABLE')) });
    const store = createWorkbenchStore(fake.api);
    const started = await store.getState().startTwin({ hostId: 'app:1', vmId: 'libvirt:web', ttlSeconds: 1800, guestPorts: [8080] });
    expect(started).toBe(false);
    expect(store.getState().twinErrors['app:1']?.code).toBe('VM_NOT_CLONEABLE');
  });
});
