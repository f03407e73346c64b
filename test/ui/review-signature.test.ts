import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorkbench, type WebWorkbench } from '../support/web-mode';

// The shipped sample predates signing and has its custody times out of order: Review says so, and
// Settings shows the key this workstation signs its own captures with.

let workbench: WebWorkbench;

beforeAll(async () => {
  workbench = await startWebWorkbench();
});
afterAll(async () => {
  await workbench?.close();
});

describe('signatures in the browser (web mode)', () => {
  it('shows an older capture as verified and unsigned, with its custody-time warning', async () => {
    const { page } = workbench;
    await page.getByTestId('open-sample').click();
    await page.getByTestId('process-row').first().waitFor();
    expect(await page.getByTestId('integrity-badge').first().getAttribute('data-verified')).toBe('true');
    expect(await page.getByTestId('signature-badge').textContent()).toBe('Unsigned');
    const warning = page.locator('[data-testid="integrity-warnings"] [data-testid="error-banner"]');
    expect(await warning.getAttribute('data-code')).toBe('BUNDLE_CUSTODY_TIME_REVERSED');
  });

  it('shows the workstation key in Settings, as the key store has it', async () => {
    const { page, services } = workbench;
    await page.getByTestId('nav-settings').click();
    const key = await services.workstationKey.info();
    await expect.poll(() => page.getByTestId('workstation-key-fingerprint').textContent()).toBe(key.fingerprint);
    await page.getByTestId('workstation-key-name').fill('UI test laptop');
    await page.getByTestId('workstation-key-save').click();
    await expect.poll(async () => (await services.workstationKey.info()).name).toBe('UI test laptop');
    expect(workbench.pageErrors).toEqual([]);
  });
});
