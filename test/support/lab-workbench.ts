import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { labAcquire, labRelease, labVm, type LabInfo } from './lab';
import { startWebWorkbench, type WebWorkbench } from './web-mode';

/** The lab and a browser workbench whose home already knows the lab's host key. */
export interface LabWorkbench {
  readonly lab: LabInfo;
  readonly workbench: WebWorkbench;
  close(): Promise<void>;
}

/**
 * Takes the lab, and starts the web-mode workbench with a temporary home that trusts the lab sshd.
 *
 * For UI tests about what comes after connecting; the host-key dialog has its own test.
 */
export async function startLabWorkbench(prefix: string): Promise<LabWorkbench> {
  const lab = await labAcquire({ vms: process.env['CIVIC_LAB_VMS'] ?? 'lab-web', owner: 'tests' });
  const home = await mkdtemp(join(tmpdir(), `${prefix}-`));
  await mkdir(join(home, '.ssh'), { recursive: true });
  await writeFile(join(home, '.ssh', 'known_hosts'), `${lab.ssh.knownHostsLine.trim()}\n`);
  const workbench = await startWebWorkbench({ homeDir: home });
  return {
    lab,
    workbench,
    async close() {
      await workbench.close().catch(() => undefined);
      await rm(home, { recursive: true, force: true });
      await labRelease({ keep: process.env['CIVIC_LAB_KEEP'] === '1' });
    },
  };
}

/** Adds the lab host in the Hosts view, connects, and returns lab-web's VM item once it is listed. */
export async function connectLabHost(page: Page, lab: LabInfo): Promise<Locator> {
  const web = labVm(lab, 'lab-web');
  await page.getByTestId('nav-hosts').click();
  await page.getByTestId('host-add').click();
  await page.getByTestId('host-form-alias').fill('lab');
  await page.getByTestId('host-form-host').fill(lab.ssh.host);
  await page.getByTestId('host-form-port').fill(String(lab.ssh.port));
  await page.getByTestId('host-form-user').fill('root');
  await page.getByTestId('host-form-identity').fill(lab.ssh.privateKeyPath);
  await page.getByTestId('host-form-qmpdirs').fill(dirname(web.qmpSocketPath ?? '/'));
  await page.getByTestId('host-save').click();
  await page.getByTestId('host-connect').click();
  const item = page.locator('[data-testid="vm-item"][data-vm-name="lab-web"]');
  await item.waitFor({ timeout: 90_000 });
  return item;
}
