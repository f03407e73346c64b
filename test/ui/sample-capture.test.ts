import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startWebWorkbench, type WebWorkbench } from '../support/web-mode';

// The first-run journey in a real browser against the real services: open the sample capture that
// ships with the app and read its process list and findings.

let workbench: WebWorkbench;

beforeAll(async () => {
  workbench = await startWebWorkbench();
});

afterAll(async () => {
  await workbench?.close();
});

describe('sample capture in the browser (web mode)', () => {
  it('offers the sample on the first screen and shows its processes and findings', async () => {
    const { page } = workbench;
    await page.getByTestId('open-sample').click();
    await page.getByTestId('process-row').first().waitFor();

    const badge = page.getByTestId('integrity-badge').first();
    await expect.poll(() => badge.textContent()).toMatch(/verified/i);

    const pid1 = page.locator('[data-testid="process-row"][data-pid="1"]');
    await expect.poll(() => pid1.count()).toBe(1);
    expect(await pid1.textContent()).toContain('systemd');

    const findings = page.getByTestId('finding-item');
    await expect.poll(() => findings.count()).toBeGreaterThanOrEqual(5);
    expect(await findings.allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('Listener on port 31337')]));

    await page.screenshot({ path: join(__dirname, '../../docs/images/workbench.png') });
    expect(workbench.pageErrors).toEqual([]);
  });

  it('selecting a finding selects its process and shows its detail', async () => {
    const { page } = workbench;
    await page.getByTestId('finding-item').filter({ hasText: 'deleted executable' }).first().click();
    const detail = page.getByTestId('process-detail');
    await expect.poll(() => detail.textContent()).toContain('4711');
  });

  it('search narrows the process list', async () => {
    const { page } = workbench;
    const rows = page.getByTestId('process-row');
    const before = await rows.count();
    await page.getByTestId('process-search').fill('nginx');
    await expect.poll(() => rows.count()).toBeLessThan(before);
    const texts = await rows.allTextContents();
    expect(texts.length).toBeGreaterThan(0);
    expect(texts.some((text) => text.includes('nginx'))).toBe(true);
  });
});
