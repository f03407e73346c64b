import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labVm, queryVmStatus, type LabInfo } from '../support/lab';
import { connectLabHost, startLabWorkbench, type LabWorkbench } from '../support/lab-workbench';
import type { WebWorkbench } from '../support/web-mode';

// Diagnostics in a real browser against the real services, the lab's sshd, the helper and lab-web:
// host -> VM -> Capture… -> progress -> the capture opens in Review with lab-web's processes and findings.

let lab: LabInfo;
let workbench: WebWorkbench;
let session: LabWorkbench | undefined;

beforeAll(async () => {
  session = await startLabWorkbench('civic-ui-diagnostics');
  ({ lab, workbench } = session);
});

afterAll(async () => {
  await session?.close();
});

describe('Diagnostics panel in the browser (web mode, lab-web)', () => {
  it('captures lab-web from its VM item and opens the capture in Review with its processes and a finding', async () => {
    const { page } = workbench;
    const web = labVm(lab, 'lab-web');
    const item = await connectLabHost(page, lab);

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
