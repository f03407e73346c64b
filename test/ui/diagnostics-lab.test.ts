import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labAcquire, labRelease, labVm, queryVmStatus, type LabInfo } from '../support/lab';
import { startWebWorkbench, type WebWorkbench } from '../support/web-mode';

// Diagnostics in a real browser against the real services, the lab's sshd, the helper and lab-web:
// host -> VM -> Capture… -> progress -> the capture opens in Review with lab-web's processes and findings.

let lab: LabInfo;
let workbench: WebWorkbench;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  lab = await labAcquire({ vms: process.env['CIVIC_LAB_VMS'] ?? 'lab-web', owner: 'tests' });
  const home = await mkdtemp(join(tmpdir(), 'civic-ui-diagnostics-'));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
  // The host key is known already: this test is about the capture, not the key dialog.
  await mkdir(join(home, '.ssh'), { recursive: true });
  await writeFile(join(home, '.ssh', 'known_hosts'), `${lab.ssh.knownHostsLine.trim()}\n`);
  workbench = await startWebWorkbench({ homeDir: home });
  cleanups.push(() => workbench.close());
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await labRelease({ keep: process.env['CIVIC_LAB_KEEP'] === '1' });
});

describe('Diagnostics panel in the browser (web mode, lab-web)', () => {
  it('captures lab-web from its VM item and opens the capture in Review with its processes and a finding', async () => {
    const { page } = workbench;
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

    await item.getByTestId('vm-capture').click();
    const panel = page.getByTestId('diagnostics-panel');
    await panel.waitFor();
    expect(await page.getByTestId('capture-way-in').textContent()).toContain('qemu-guest-agent');
    // The triage preset is chosen; the keyboard starts the capture.
    expect(await page.getByTestId('capture-step-processes').isChecked()).toBe(true);
    expect(await page.getByTestId('capture-step-memory-dump').isChecked()).toBe(false);
    await page.getByTestId('capture-start').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('capture-progress').waitFor();
    expect(await page.getByTestId('capture-cancel').isVisible()).toBe(true);

    // Done: Review shows lab-web's processes and at least one finding of the planted oddities.
    await page.getByTestId('process-table').waitFor({ timeout: 280_000 });
    await page.locator('[data-testid="process-row"]').first().waitFor();
    const findings = await page.getByTestId('finding-item').allTextContents();
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.join('\n')).toMatch(/deleted|temporary|31337|LD_PRELOAD|kernel thread/i);
    await page.getByTestId('process-search').fill('civic-worker');
    await page.locator('[data-testid="process-row"]').filter({ hasText: 'civic-worker' }).first().waitFor();
    expect(await page.getByTestId('integrity-badge').first().getAttribute('data-verified')).toBe('true');
    expect(await queryVmStatus(web.qmpSocketPath ?? '')).toBe('running');
    expect(workbench.pageErrors).toEqual([]);
  });
});
