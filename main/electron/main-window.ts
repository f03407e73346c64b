import type { BrowserWindowConstructorOptions, WebContents } from 'electron';

/**
 * The window's options: the security baseline in one place.
 *
 * Sandboxed, context-isolated, no Node in the page, no webviews, no remote content.
 */
export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1400,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Civic Workbench',
    backgroundColor: '#0f1419',
    webPreferences: {
      preload: preloadPath,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      spellcheck: false,
      safeDialogs: true,
    },
  };
}

/** The part of WebContents the guards use, so tests can pass a fake. */
export type GuardedContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'> & {
  session: { setPermissionRequestHandler: WebContents['session']['setPermissionRequestHandler'] };
};

/**
 * Denies navigation away from the app, new windows, webviews and every permission request.
 *
 * `allowedUrl` is the page the window loaded; reloading it is the only navigation allowed.
 */
export function installNavigationGuards(contents: GuardedContents, allowedUrl: string): void {
  contents.on('will-navigate', (event, url) => {
    if (url !== allowedUrl) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
}
