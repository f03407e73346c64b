import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkbenchApi } from '../../../../preload/api';
import { createFakeApi } from '../support/fake-api';

describe('getApi', () => {
  beforeEach(() => {
    vi.resetModules();
  });

  afterEach(() => {
    Reflect.deleteProperty(window, 'workbench');
    vi.unstubAllGlobals();
  });

  it('returns the preload API under Electron', async () => {
    const preload: WorkbenchApi = createFakeApi().api;
    Object.defineProperty(window, 'workbench', { value: preload, configurable: true });
    const { getApi } = await import('../../../../renderer/src/api/get-api');
    expect(getApi()).toBe(preload);
  });

  it('opens one web socket to /api on the page host in a browser', async () => {
    const opened: string[] = [];
    vi.stubGlobal(
      'WebSocket',
      class {
        readyState = 0;
        constructor(url: string) {
          opened.push(url);
        }
        send(): void {}
        close(): void {}
        addEventListener(): void {}
      },
    );
    const { getApi } = await import('../../../../renderer/src/api/get-api');
    const api = getApi();
    expect(getApi()).toBe(api);
    expect(opened).toEqual([`ws://${window.location.host}/api`]);
  });
});
