import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  transportRequestNames,
  type WorkbenchApi,
  workbenchEventSubscriptions,
  workbenchRequestNames,
} from '../../../preload/api';
import { requestHandlers } from '../../../main/contract/request-handlers';

const exposed = new Map<string, Record<string, unknown>>();
const invoke = vi.fn(async () => ({ ok: true, value: null }));
const on = vi.fn();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: Record<string, unknown>) => exposed.set(key, value) },
  ipcRenderer: { invoke, on, removeListener: vi.fn(), send: vi.fn(), sendSync: vi.fn() },
  webUtils: { getPathForFile: () => '/tmp/dropped.civic' },
}));

async function bridge(): Promise<Record<string, unknown>> {
  await import('../../../preload/index');
  return exposed.get('workbench')!;
}

describe('the contract method list', () => {
  it('names every method of WorkbenchApi and nothing else (checked by the compiler)', () => {
    expectTypeOf<(typeof workbenchRequestNames)[number] | keyof typeof workbenchEventSubscriptions>().toEqualTypeOf<keyof WorkbenchApi>();
    expectTypeOf<keyof typeof requestHandlers>().toEqualTypeOf<(typeof transportRequestNames)[number]>();
  });

  it('is what the bridge exposes: one function per contract method, nothing more', async () => {
    const api = await bridge();
    const contract = [...workbenchRequestNames, ...Object.keys(workbenchEventSubscriptions)].sort();
    expect(Object.keys(api).sort()).toEqual(contract);
    for (const name of contract) expect(typeof api[name]).toBe('function');
  });

  it('sends each transport request on its own channel, with its argument or null', async () => {
    const api = (await bridge()) as Record<string, (args?: unknown) => Promise<unknown>>;
    for (const method of transportRequestNames) {
      invoke.mockClear();
      await api[method]!({ marker: method });
      expect(invoke.mock.calls).toEqual([[`workbench:${method}`, { marker: method }]]);
      invoke.mockClear();
      await api[method]!();
      expect(invoke.mock.calls).toEqual([[`workbench:${method}`, null]]);
    }
  });

  it('subscribes each event on its own channel', async () => {
    const api = (await bridge()) as Record<string, (listener: () => void) => () => void>;
    for (const [subscription, event] of Object.entries(workbenchEventSubscriptions)) {
      on.mockClear();
      api[subscription]!(() => undefined);
      expect(on).toHaveBeenCalledWith(`workbench:event:${event}`, expect.any(Function));
    }
  });

  it('is the request table of main, without the dropped-file request each adapter resolves itself', () => {
    expect(Object.keys(requestHandlers).sort()).toEqual([...transportRequestNames].sort());
    expect(workbenchRequestNames.filter((name) => !transportRequestNames.includes(name as never))).toEqual(['pathForDroppedFile']);
  });
});
