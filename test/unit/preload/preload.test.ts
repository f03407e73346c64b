import { describe, expect, it, vi } from 'vitest';
import { transportRequestNames } from '../../../main/contract/request-handlers';

const exposed = new Map<string, Record<string, unknown>>();
const invoke = vi.fn(async () => ({ ok: true, value: null }));
const on = vi.fn();
const removeListener = vi.fn();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: Record<string, unknown>) => exposed.set(key, value) },
  ipcRenderer: { invoke, on, removeListener, send: vi.fn(), sendSync: vi.fn() },
  webUtils: { getPathForFile: () => '/tmp/dropped.civic' },
}));

describe('preload', () => {
  it('exposes exactly the contract: its requests and its event subscriptions, nothing generic', async () => {
    await import('../../../preload/index');
    expect([...exposed.keys()]).toEqual(['workbench']);
    const api = exposed.get('workbench')!;
    const expected = [...transportRequestNames, 'pathForDroppedFile', 'onJobProgress', 'onSessionState', 'onHostKeyPrompt', 'onSecretPrompt', 'onHostNotice', 'onTwinsChanged'].sort();
    expect(Object.keys(api).sort()).toEqual(expected);
    for (const name of ['send', 'invoke', 'on', 'ipcRenderer', 'request']) expect(api).not.toHaveProperty(name);
  });

  it('sends each request on its own channel and unsubscribes events', async () => {
    await import('../../../preload/index');
    const api = exposed.get('workbench')! as Record<string, (...args: unknown[]) => unknown>;
    await api['openCapture']!({ path: '/x.civic' });
    expect(invoke).toHaveBeenCalledWith('workbench:openCapture', { path: '/x.civic' });
    const unsubscribe = api['onJobProgress']!(() => undefined) as () => void;
    expect(on).toHaveBeenCalledWith('workbench:event:jobProgress', expect.any(Function));
    unsubscribe();
    expect(removeListener).toHaveBeenCalledWith('workbench:event:jobProgress', on.mock.calls[0]![1]);
  });
});
