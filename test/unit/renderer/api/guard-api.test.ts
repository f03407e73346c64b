import { describe, expect, it, vi } from 'vitest';
import { workbenchEventSubscriptions } from '../../../../preload/api';
import { guardApi } from '../../../../renderer/src/api/guard-api';
import { createFakeApi, ok } from '../support/fake-api';

describe('guardApi', () => {
  it('turns a rejected request into an INTERNAL result and logs it', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const api = guardApi(createFakeApi({ listHosts: vi.fn(async () => Promise.reject(new Error('bridge gone'))) }).api);
    await expect(api.listHosts()).resolves.toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(log).toHaveBeenCalledWith('[renderer] request listHosts rejected', expect.any(Error));
    log.mockRestore();
  });

  it('passes arguments and results through unchanged', async () => {
    const fake = createFakeApi({ getProcesses: vi.fn(async () => ok([])) });
    const api = guardApi(fake.api);
    await expect(api.getProcesses({ handle: 'h' })).resolves.toEqual({ ok: true, value: [] });
    expect(fake.api.getProcesses).toHaveBeenCalledWith({ handle: 'h' });
  });

  it('keeps the event subscriptions', () => {
    const fake = createFakeApi();
    const listener = vi.fn();
    const stop = guardApi(fake.api).onJobProgress(listener);
    expect(fake.listenerCount()).toBe(1);
    stop();
    expect(fake.listenerCount()).toBe(0);
  });

  it('keeps every event subscription of the contract, not only some', () => {
    const fake = createFakeApi();
    const guarded = guardApi(fake.api);
    for (const subscription of Object.keys(workbenchEventSubscriptions) as (keyof typeof workbenchEventSubscriptions)[]) {
      expect(guarded[subscription], subscription).toBe(fake.api[subscription]);
    }
  });
});
