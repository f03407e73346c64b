import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labVm, type LabInfo, type LabVmInfo } from '../support/lab';
import { connectLabHost, startLabWorkbench, type LabWorkbench } from '../support/lab-workbench';
import type { WebWorkbench } from '../support/web-mode';
import { productionFacts } from '../support/production-facts';

// Live tuning in a real browser through the real stack (web mode, the lab's sshd, the helper, lab-web
// under QEMU): Start twin… on lab-web, then tune civic-web's `workers` over three values on the twin,
// and read the table, the recommendation and the diff. Production's file, processes and QMP status
// must be exactly as they were.

let lab: LabInfo;
let web: LabVmInfo;
let workbench: WebWorkbench;
let session: LabWorkbench | undefined;


beforeAll(async () => {
  session = await startLabWorkbench('civic-ui-tuning');
  ({ lab, workbench } = session);
  web = labVm(lab, 'lab-web');
});

afterAll(async () => {
  await session?.close();
});

describe('Experiments: live tuning on a twin (web mode, lab-web)', () => {
  it('tunes civic-web workers over three values on a twin of lab-web and shows rows with intervals, a recommendation and the diff', async () => {
    const { page } = workbench;
    const item = await connectLabHost(page, lab);
    const before = await productionFacts(web);

    await item.getByTestId('vm-start-twin').click();
    await page.getByTestId('twin-form').waitFor();
    await page.getByTestId('twin-form-ttl').fill('30');
    await page.getByTestId('twin-form-ports').fill('8080');
    await page.getByTestId('twin-form-start').click();
    const twin = page.locator('[data-testid="twin-item"][data-state="live"]');
    await twin.waitFor({ timeout: 240_000 });
    expect(await twin.getByTestId('twin-time-left').textContent()).toMatch(/\d/);
    expect(await page.getByTestId('twin-forward').first().getAttribute('data-guest-port')).toBe('8080');

    await page.getByTestId('nav-experiments').click();
    await page.getByTestId('tuning-form').waitFor();
    await page.getByTestId('tuning-profile').selectOption('civic-web');
    await page.getByTestId('tuning-parameter').selectOption('workers');
    await page.getByTestId('tuning-values').fill('1, 2, 4');
    await page.getByTestId('tuning-repetitions').fill('5');
    await page.getByTestId('tuning-concurrency').fill('8');
    await page.getByTestId('tuning-warmup').fill('1');
    await page.getByTestId('tuning-duration').fill('3');
    expect(await page.getByTestId('tuning-estimate').textContent()).toMatch(/3 values × 5 repetitions/);
    await page.getByTestId('tuning-start').click();
    await page.getByTestId('experiment-progress').waitFor();

    const report = page.getByTestId('experiment-report');
    await report.waitFor({ timeout: 900_000 });
    expect(await report.getAttribute('data-kind')).toBe('tuning');
    const rows = page.getByTestId('tuning-row');
    expect(await rows.count()).toBe(3);
    for (const value of ['1', '2', '4']) {
      const row = page.locator(`[data-testid="tuning-row"][data-value="${value}"]`);
      expect(await row.getAttribute('data-status')).toBe('ok');
      // "212 req/s (205–220)": a median with its interval.
      expect(await row.getByTestId('tuning-throughput').textContent()).toMatch(/\d[\d.,]* req\/s \(\d[\d.,]*\s*[–-]\s*\d[\d.,]*\)/);
    }
    const recommendation = page.getByTestId('tuning-recommendation');
    expect(await recommendation.getAttribute('data-value')).toBe('4');
    expect(await page.getByTestId('tuning-reason').textContent()).toMatch(/workers = 4/);
    const diff = (await page.getByTestId('tuning-diff').textContent()) ?? '';
    expect(diff).toMatch(/--- a\/etc\/civic-web\.conf/);
    expect(diff).toMatch(/\+workers = 4/);
    expect(await page.getByTestId('tuning-never-applied').textContent()).toMatch(/never changes production/);

    expect(await productionFacts(web)).toEqual(before);

    // Leave nothing behind: destroy the twin from Hosts.
    await page.getByTestId('nav-hosts').click();
    await page.getByTestId('twin-destroy').click();
    await page.getByTestId('twin-destroy-confirm').click();
    await page.locator('[data-testid="twin-item"]').waitFor({ state: 'detached', timeout: 120_000 });
    expect(workbench.pageErrors).toEqual([]);
  }, 1_200_000);
});
