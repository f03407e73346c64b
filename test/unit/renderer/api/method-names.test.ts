import { describe, expect, it } from 'vitest';
import { transportRequestNames } from '../../../../main/contract/request-handlers';
import { webSocketRequestNames, workbenchRequestNames } from '../../../../renderer/src/api/method-names';
import { createWebAdapter } from '../../../../renderer/src/api/web-adapter';

describe('request method names', () => {
  it('are exactly the methods the web server handles', () => {
    expect([...webSocketRequestNames].sort()).toEqual([...transportRequestNames].sort());
  });

  it('are exactly the request methods of the web adapter', () => {
    const adapter = createWebAdapter({
      url: 'ws://127.0.0.1:1/api',
      openSocket: () => ({ readyState: 0, send: () => undefined, close: () => undefined, addEventListener: () => undefined }),
    });
    const adapterRequests = Object.keys(adapter.api).filter((name) => !name.startsWith('on'));
    expect(adapterRequests.sort()).toEqual([...workbenchRequestNames].sort());
  });
});
