import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labVm, queryVmStatus, runInGuest, type LabInfo } from '../support/lab';
import { connectLabHost, startLabWorkbench, type LabWorkbench } from '../support/lab-workbench';
import type { WebWorkbench } from '../support/web-mode';

// Targets picked from a quick listing, in a real browser against the real services and lab-web:
// quick listing -> pick civic-worker -> capture with backtraces -> Review has its backtraces artifact;
// a pid the clone does not have is reported as gone.

let lab: LabInfo;
let workbench: WebWorkbench;
let session: LabWorkbench | undefined;

beforeAll(async () => {
  session = await startLabWorkbench('civic-ui-picker');
  ({ lab, workbench } = session);
});

afterAll(async () => {
  await session?.close();
});

describe('Process picker in the Diagnostics panel (web mode, lab-web)', () => {
  it('picks civic-worker from a quick listing and captures its backtraces', { timeout: 600_000 }, async () => {
    const { page } = workbench;
    const web = labVm(lab, 'lab-web');
    const item = await connectLabHost(page, lab);
    await item.getByTestId('vm-capture').click();
    await page.getByTestId('diagnostics-panel').waitFor();

    // The quick listing runs as a job with its own progress and cancel, then shows the clone's processes.
    await page.getByTestId('capture-listing-start').click();
    await page.getByTestId('capture-listing-progress').waitFor();
    expect(await page.getByTestId('capture-listing-cancel').isVisible()).toBe(true);
    await page.getByTestId('process-picker').waitFor({ timeout: 280_000 });
    expect(await page.getByTestId('process-picker-note').textContent()).toMatch(/keep their pids/);

    // Search, then the keyboard: ArrowDown into the list, Space picks.
    const search = page.getByTestId('process-picker-search');
    await search.fill('civic-worker');
    const row = page.locator('[data-testid="process-picker-row"]').filter({ hasText: 'civic-worker' }).first();
    await row.waitFor();
    const pid = Number(await row.getAttribute('data-pid'));
    expect(await page.locator('[data-testid="process-picker-row"]').first().getAttribute('data-pid')).toBe(String(pid));
    await search.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    expect(await row.getByTestId('process-picker-check').isChecked()).toBe(true);
    expect(await page.getByTestId('capture-pids').inputValue()).toBe(String(pid));
    // The clone was cut from the running VM: the long-lived worker has the same pid there.
    const sourcePids = (await runInGuest(web, 'pidof civic-worker')).stdout.trim().split(/\s+/).map(Number);
    expect(sourcePids).toContain(pid);

    // A power user adds a pid by hand that the next clone does not have: it is reported as gone, the rest runs.
    await page.getByTestId('capture-pids').fill(`${pid}, 4194000`);
    expect(await row.getByTestId('process-picker-check').isChecked()).toBe(true);

    // Capture with backtraces of the targets only (the processes step comes along).
    for (const step of ['sockets', 'system', 'kernel-symbols'] as const) await page.getByTestId(`capture-step-${step}`).uncheck();
    await page.getByTestId('capture-step-backtraces').check();
    await page.getByTestId('capture-start').click();
    await page.getByTestId('capture-progress').waitFor();

    await page.getByTestId('process-table').waitFor({ timeout: 280_000 });
    await page.getByTestId('tab-artifacts').click();
    const artifact = page.getByTestId('artifact-open').filter({ hasText: `artifacts/backtraces/${pid}.txt` });
    await artifact.waitFor();
    await artifact.click();
    const text = await page.getByTestId('artifact-text').textContent();
    // civic-worker runs a main thread and four workers: gdb names every one.
    expect(text?.match(/^Thread \d+ /gm)?.length).toBe(5);
    // Back in the panel the outcome names the typed pid as gone, and nothing else as failed.
    await page.getByTestId('nav-hosts').click();
    await page.getByTestId('capture-outcome').waitFor();
    const failures = await page.getByTestId('capture-failed').locator('li').allTextContents();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/pid 4194000\) failed: Process 4194000 is not running in this clone/);
    expect(await queryVmStatus(web.qmpSocketPath ?? '')).toBe('running');
    expect(workbench.pageErrors).toEqual([]);
  });
});
