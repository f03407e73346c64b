import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { installPaths } from '../../main/app/install-paths';
import { createWorkbenchServices, type ServiceDependencies, type WorkbenchServices } from '../../main/services';
import { startWebServer, type WebServer } from '../../main/web/web-server';

/** Where Debian's Chromium lives; CHROMIUM_PATH overrides it. */
export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** A running workbench in web mode with a browser page signed in to it. */
export interface WebWorkbench {
  readonly server: WebServer;
  readonly services: WorkbenchServices;
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Errors the page logged or threw: a UI test fails on any. */
  readonly pageErrors: string[];
  close(): Promise<void>;
}

/**
 * Starts the real services behind the web mode and opens the app in headless Chromium.
 *
 * Needs `npm run build` first (the renderer is served from out/renderer). Playwright gives the
 * browser a new empty profile of its own.
 */
export async function startWebWorkbench(
  options: { viewport?: { width: number; height: number }; homeDir?: string; hosts?: ServiceDependencies['hosts'] } = {},
): Promise<WebWorkbench> {
  const { resourcesDir, rendererDir } = installPaths();
  if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('The renderer is not built: run `npm run build` before the UI tests.');
  const dataDir = mkdtempSync(join(tmpdir(), 'civic-ui-data-'));
  // The services never see the real ~/.ssh: a test gives its own home, or gets an empty one.
  const homeDir = options.homeDir ?? mkdtempSync(join(tmpdir(), 'civic-ui-home-'));
  const services = createWorkbenchServices({ appDataDir: dataDir, resourcesDir, transport: 'web', homeDir, ...(options.hosts ? { hosts: options.hosts } : {}) });
  const server = await startWebServer({ services, staticDir: rendererDir });
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1440, height: 900 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.goto(server.url);
  return {
    server,
    services,
    browser,
    context,
    page,
    pageErrors,
    async close() {
      await browser.close();
      await services.shutdown();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (options.homeDir === undefined) rmSync(homeDir, { recursive: true, force: true });
    },
  };
}
