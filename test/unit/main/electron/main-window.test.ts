import { describe, expect, it, vi } from 'vitest';
import { installNavigationGuards, mainWindowOptions, type GuardedContents } from '../../../../main/electron/main-window';

describe('mainWindowOptions', () => {
  it('sandboxes the page, isolates the context and gives it no Node', () => {
    const preferences = mainWindowOptions('/app/preload.cjs').webPreferences;
    expect(preferences).toMatchObject({
      preload: '/app/preload.cjs',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
    });
  });
});

type Listener = (event: { preventDefault(): void }, url?: string) => void;

function fakeContents() {
  const listeners = new Map<string, Listener>();
  let openHandler: ((details: { url: string }) => { action: string }) | undefined;
  let permissionHandler: ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | undefined;
  const contents = {
    on: (name: string, listener: Listener) => {
      listeners.set(name, listener);
      return contents;
    },
    setWindowOpenHandler: (handler: typeof openHandler) => {
      openHandler = handler;
    },
    session: {
      setPermissionRequestHandler: (handler: typeof permissionHandler) => {
        permissionHandler = handler;
      },
    },
  };
  const fire = (name: string, url?: string): boolean => {
    const preventDefault = vi.fn();
    listeners.get(name)?.({ preventDefault }, url);
    return preventDefault.mock.calls.length > 0;
  };
  return {
    // The guards use a narrow slice of WebContents; the fake implements exactly that slice.
    contents: contents as unknown as GuardedContents,
    fire,
    openWindow: (url: string) => openHandler?.({ url }),
    askPermission: (permission: string) => {
      let answer: boolean | undefined;
      permissionHandler?.({}, permission, (granted) => (answer = granted));
      return answer;
    },
  };
}

describe('installNavigationGuards', () => {
  const page = 'file:///app/out/renderer/index.html';

  it('blocks navigation to any other URL and allows reloading the app page', () => {
    const fake = fakeContents();
    installNavigationGuards(fake.contents, page);
    expect(fake.fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(fake.fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(fake.fire('will-navigate', page)).toBe(false);
  });

  it('denies new windows, redirects, webviews and permissions', () => {
    const fake = fakeContents();
    installNavigationGuards(fake.contents, page);
    expect(fake.openWindow('https://evil.example/')).toEqual({ action: 'deny' });
    expect(fake.fire('will-redirect', 'https://evil.example/')).toBe(true);
    expect(fake.fire('will-attach-webview')).toBe(true);
    expect(fake.askPermission('media')).toBe(false);
    expect(fake.askPermission('notifications')).toBe(false);
  });
});
