import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrowserWindow, app, dialog, ipcMain, session } from 'electron';
import { contentSecurityPolicy } from './app/content-security-policy';
import { installNavigationGuards, mainWindowOptions } from './electron/main-window';
import { registerIpc } from './electron/register-ipc';
import { captureFromArgv } from './review/capture-argv';
import { createLogger, setLogSink } from './logging/logger';
import { createFileLogSink } from './logging/file-log-sink';
import { createWorkbenchServices } from './services';

// The Electron shell: wires Electron's objects to the services and does nothing else. Every decision
// lives in a module that runs under Node.

const log = createLogger('app');

async function openCaptureDialog(window: BrowserWindow): Promise<string | null> {
  const choice = await dialog.showOpenDialog(window, {
    title: 'Open capture',
    properties: ['openFile', 'openDirectory'],
    filters: [{ name: 'Civic capture', extensions: ['civic'] }],
  });
  return choice.canceled ? null : (choice.filePaths[0] ?? null);
}

async function saveReportDialog(window: BrowserWindow, suggestedName: string): Promise<string | null> {
  const choice = await dialog.showSaveDialog(window, { title: 'Export report', defaultPath: join(app.getPath('documents'), suggestedName) });
  return choice.canceled || !choice.filePath ? null : choice.filePath;
}

async function start(): Promise<void> {
  await app.whenReady();
  setLogSink(createFileLogSink(join(app.getPath('logs'), 'civic-workbench.log')));

  const window = new BrowserWindow(mainWindowOptions(join(__dirname, '../preload/index.cjs')));
  const resourcesDir = app.isPackaged ? process.resourcesPath : join(app.getAppPath(), 'resources');
  const services = createWorkbenchServices({
    appDataDir: app.getPath('userData'),
    resourcesDir,
    transport: 'electron',
    pickCapturePath: () => openCaptureDialog(window),
    pickExportPath: (suggestedName) => saveReportDialog(window, suggestedName),
    launchCapturePath: captureFromArgv(process.argv),
  });

  const devUrl = process.env['ELECTRON_RENDERER_URL'];
  const pageUrl = devUrl ?? pathToFileURL(join(__dirname, '../renderer/index.html')).href;
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy] } });
  });
  installNavigationGuards(window.webContents, pageUrl);
  const unregister = registerIpc(ipcMain, services, window, () => pageUrl);

  window.once('ready-to-show', () => window.show());
  await window.loadURL(pageUrl);

  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => {
    unregister();
    void services.shutdown();
  });
}

start().catch((error: unknown) => {
  log.error('start-up failed', error);
  app.exit(1);
});
