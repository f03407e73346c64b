import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Result } from '../../../../preload/api';
import { requestChannel } from '../../../../preload/channels';
import { registerIpc } from '../../../../main/electron/register-ipc';
import { useTempFolders } from '../../../support/temp-folders';
import { transportRequestNames } from '../../../../main/contract/request-handlers';
import { createWorkbenchServices } from '../../../../main/services';

const tempFolder = useTempFolders('civic-ipc');

type Handler = (event: unknown, args: unknown) => Promise<Result<unknown>>;

function setUp() {
  const handlers = new Map<string, Handler>();
  const ipcMain = {
    handle: (channel: string, handler: Handler) => void handlers.set(channel, handler),
    removeHandler: (channel: string) => void handlers.delete(channel),
  };
  const sent: Array<[string, unknown]> = [];
  const window = { webContents: { id: 7, send: (channel: string, payload: unknown) => void sent.push([channel, payload]), isDestroyed: () => false } };
  const services = createWorkbenchServices({
    appDataDir: tempFolder(),
    resourcesDir: join(__dirname, '../../../../resources'),
    transport: 'electron',
  });
  const page = 'file:///app/out/renderer/index.html';
  // registerIpc takes the slices of Electron's objects it uses; the fakes provide exactly those.
  const unregister = registerIpc(ipcMain as never, services, window as never, () => page);
  const frame = (overrides: { url?: string; parent?: unknown; senderId?: number } = {}) => ({
    sender: { id: overrides.senderId ?? 7 },
    senderFrame: { url: overrides.url ?? page, parent: overrides.parent ?? null },
  });
  const call = (method: string, event: unknown, args: unknown) => handlers.get(requestChannel(method))!(event, args);
  return { handlers, services, unregister, frame, call, sent };
}

describe('registerIpc', () => {
  it('registers exactly one handler per request of the contract', () => {
    const { handlers } = setUp();
    expect([...handlers.keys()].sort()).toEqual(transportRequestNames.map(requestChannel).sort());
  });

  it('answers a request from the main frame of our window', async () => {
    const { call, frame } = setUp();
    const result = await call('getAppInfo', frame(), null);
    expect(result).toMatchObject({ ok: true, value: { transport: 'electron', name: 'Civic Workbench' } });
  });

  it('refuses a sub-frame, another page and another window with UNTRUSTED_SENDER', async () => {
    const { call, frame } = setUp();
    for (const event of [frame({ parent: {} }), frame({ url: 'https://evil.example/' }), frame({ senderId: 8 })]) {
      const result = await call('getAppInfo', event, null);
      expect(result).toMatchObject({ ok: false, error: { code: 'UNTRUSTED_SENDER' } });
    }
  });

  it('returns VALIDATION_FAILED for bad arguments without calling the service', async () => {
    const { call, frame } = setUp();
    const bad = [{ path: 42 }, { path: '' }, { path: 'x', extra: true }, 'a string', { path: 'x'.repeat(5000) }];
    for (const args of bad) {
      const result = await call('openCapture', frame(), args);
      expect(result).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    }
    expect(await call('cancelJob', frame(), { jobId: 'not-a-uuid' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  });

  it('forwards service events to the window and stops after unregistering', () => {
    const { services, sent, unregister, handlers } = setUp();
    services.events.emit('sessionState', { hostId: 'h1', state: 'connecting' });
    expect(sent).toEqual([['workbench:event:sessionState', { hostId: 'h1', state: 'connecting' }]]);
    unregister();
    services.events.emit('sessionState', { hostId: 'h1', state: 'connected' });
    expect(sent).toHaveLength(1);
    expect(handlers.size).toBe(0);
  });
});
