import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupAll, ensureTestUser, generateKey, makeTempDir, startSshd, type RunningSshd } from '../support/sshd';
import { startWebWorkbench, type WebWorkbench } from '../support/web-mode';

// The web mode in Chromium after a reload and in a second tab: a host connected before is shown
// connected, without waiting for an event that was sent to the page before; the printed link is dead
// for a second browser.

const testUser = 'civic-webreload';

describe('the web mode across a reload, a second tab and a second browser', () => {
  let dir: string;
  let sshd: RunningSshd;
  let workbench: WebWorkbench;
  let removeUser: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    dir = await makeTempDir('civic-webreload-');
    const home = join(dir, 'home');
    await mkdir(join(home, '.ssh'), { recursive: true });
    const publicKey = await generateKey(join(home, '.ssh', 'id_ed25519'));
    removeUser = await ensureTestUser(testUser, 'unused-Password-1');
    sshd = await startSshd({ authorizedKeys: [publicKey] });
    await writeFile(join(home, '.ssh', 'config'), `Host kvm\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${testUser}\n`);
    await writeFile(join(home, '.ssh', 'known_hosts'), `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
    workbench = await startWebWorkbench({ homeDir: home });
  });

  afterAll(() =>
    cleanupAll([() => workbench?.close(), () => sshd?.stop(), () => removeUser(), () => rm(dir, { recursive: true, force: true })]),
  );

  it('shows the connected host after a reload and in a second tab (Disconnect offered, not Connect)', async () => {
    const { page, context, server } = workbench;
    await page.getByTestId('nav-hosts').click();
    await page.locator('[data-testid="host-item"][data-state="disconnected"]').waitFor();
    await page.getByTestId('host-connect').click();
    await page.locator('[data-testid="host-item"][data-state="connected"]').waitFor({ timeout: 60_000 });

    await page.reload();
    await page.getByTestId('nav-hosts').click();
    await page.locator('[data-testid="host-item"][data-state="connected"]').waitFor();

    const tab = await context.newPage();
    await tab.goto(`${server.origin}/`);
    await tab.getByTestId('nav-hosts').click();
    await tab.locator('[data-testid="host-item"][data-state="connected"]').waitFor();
    expect(await tab.getByTestId('host-connect').count()).toBe(0);
    await tab.close();
  });

  it('gives a second browser, opening the same printed URL, a page saying how to get a new one', async () => {
    const other = await workbench.browser.newContext();
    const page = await other.newPage();
    const response = await page.goto(workbench.server.url);
    expect(response?.status()).toBe(410);
    expect(await page.locator('h1').textContent()).toBe('This sign-in link was already used');
    await other.close();
    expect(workbench.pageErrors).toEqual([]);
  });
});
