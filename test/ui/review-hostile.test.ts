import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGuestText } from '../../main/bundle/guest-text';
import { hostileCorpus, writeBigCapture, type BigCaptureFacts } from '../support/big-capture';
import { startWebWorkbench, type WebWorkbench } from '../support/web-mode';

// Hostile guest strings (markup, script URLs, ANSI and control sequences, bidi overrides, NUL,
// megabyte-long names, spreadsheet formulas) must show as inert, visibly escaped text in the tree,
// the detail, the findings and the exports. Checked through textContent and the absence of any
// element or navigation a string could inject.

let root: string;
let capture: BigCaptureFacts;
let workbench: WebWorkbench;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'civic-ui-hostile-'));
  capture = await writeBigCapture(join(root, 'hostile'), { processCount: 2000 });
  workbench = await startWebWorkbench();
  const { page } = workbench;
  await page.getByTestId('open-capture').click();
  await page.getByTestId('capture-path-input').fill(capture.folder);
  await page.getByTestId('capture-path-input').press('Enter');
  await page.locator('[data-testid="process-row"][data-pid="1"]').waitFor();
});

afterAll(async () => {
  await workbench?.close();
  await rm(root, { recursive: true, force: true });
});

// Elements no capture string may create. The app itself renders none of these inside the review.
const injectable = 'script, img, iframe, object, embed, link, base, form, meta[http-equiv], style, a[href], svg:not(.chart)';

async function injectedCount(page: Page): Promise<number> {
  return page.evaluate((selector) => document.querySelector('.review')?.querySelectorAll(selector).length ?? -1, injectable);
}

async function pwned(page: Page): Promise<unknown> {
  return page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned);
}

/** What the app must show for a corpus string: main's escaping, plus the marker when it was cut. */
function shown(text: string): string {
  const escaped = toGuestText(text);
  return escaped.text + (escaped.truncated ? '…truncated' : '');
}

describe('hostile strings in the browser', () => {
  it('has a corpus of at least 50 cases', () => {
    expect(hostileCorpus.length).toBeGreaterThanOrEqual(50);
  });

  it('shows every hostile process name as escaped text in the tree and the detail', async () => {
    const { page } = workbench;
    const url = page.url();
    for (const [index, text] of hostileCorpus.entries()) {
      const pid = capture.hostilePids[index] as number;
      await page.getByTestId('process-search').fill(String(pid));
      const row = page.locator(`[data-testid="process-row"][data-pid="${pid}"]`);
      await row.waitFor();
      const name = await row.locator('.cell-name .guest-text').textContent();
      expect(name, `corpus case ${index}`).toBe(shown(text));
      await row.click();
      const title = page.locator('#process-detail-title .guest-text');
      await expect.poll(() => page.getByTestId('process-detail').textContent()).toContain(`pid ${pid}`);
      expect(await title.textContent(), `corpus case ${index} in the detail`).toBe(shown(text));
      const argv = await page.getByTestId('detail-argv').locator('li').allTextContents();
      expect(argv[0], `corpus case ${index} argv`).toBe(shown(text));
    }
    expect(await injectedCount(page)).toBe(0);
    expect(await pwned(page)).toBeUndefined();
    expect(page.url()).toBe(url);
    expect(workbench.pageErrors).toEqual([]);
  });

  it('shows hostile finding titles and details as text', async () => {
    const { page } = workbench;
    await page.getByTestId('tab-findings').click();
    const items = page.getByTestId('finding-item');
    await expect.poll(() => items.count()).toBeGreaterThanOrEqual(12);
    for (const index of hostileCorpus.keys()) {
      if (index >= 12) break;
      const text = hostileCorpus[index] as string;
      const item = page.locator(`[data-testid="finding-item"][data-finding-id="F-H${index}"]`);
      // Titles are short display strings: escaped and capped at 1024 characters by main.
      expect(await item.locator('.finding-title span').last().textContent(), `finding title ${index}`).toBe(toGuestText(text, { maxChars: 1024 }).text);
      expect(await item.locator('.finding-detail .guest-text').textContent(), `finding detail ${index}`).toBe(
        toGuestText(text, { multiline: true }).text + (toGuestText(text, { multiline: true }).truncated ? '…truncated' : ''),
      );
    }
    expect(await injectedCount(page)).toBe(0);
    expect(await pwned(page)).toBeUndefined();
  });

  it('exports an HTML report that renders inert in Chromium, and a CSV with formulas neutralised', async () => {
    const { page, context } = workbench;
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-html').click()]);
    const htmlPath = join(root, 'report.html');
    await download.saveAs(htmlPath);
    const html = await readFile(htmlPath, 'utf8');
    expect(html).not.toContain(capture.secretValue);

    const report = await context.newPage();
    const reportErrors: string[] = [];
    report.on('pageerror', (error) => reportErrors.push(error.message));
    await report.goto(`file://${htmlPath}`);
    expect(await report.evaluate((selector) => document.body.querySelectorAll(selector).length, 'script, img, iframe, object, embed, link, base, form, a[href], svg, body style')).toBe(0);
    expect(await pwned(report)).toBeUndefined();
    const body = (await report.locator('body').textContent()) ?? '';
    for (const text of hostileCorpus.slice(0, 40)) expect(body, JSON.stringify(text.slice(0, 60))).toContain(toGuestText(text).text.slice(0, 200));
    expect(report.url()).toBe(`file://${htmlPath}`);
    expect(reportErrors).toEqual([]);
    await report.setViewportSize({ width: 1200, height: 1400 });
    await report.screenshot({ path: join(__dirname, '../../docs/images/report.png') });
    await report.close();

    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    const csvPath = join(root, 'report.csv');
    await csvDownload.saveAs(csvPath);
    const csv = await readFile(csvPath, 'utf8');
    expect(csv).not.toContain(capture.secretValue);
    expect(csv).not.toMatch(/(^|,)"[=+\-@\t\r]/m);
    expect(csv).toContain(`"'=cmd|""/c calc""!A1"`);
    expect(csv).toContain(`"'@SUM(A1)"`);
  });

  it('opens a tampered capture, naming the artifact that failed, and still shows what verified', async () => {
    const { page } = workbench;
    const tampered = await writeBigCapture(join(root, 'tampered'), { processCount: 500 });
    const log = join(tampered.folder, 'artifacts', 'helper.log');
    await chmod(log, 0o600);
    // Same size, one byte changed: only the hash can tell.
    const bytes = await readFile(log);
    bytes[0] = (bytes[0] ?? 0) ^ 0x20;
    await writeFile(log, bytes);
    await page.getByRole('button', { name: 'Close capture' }).click();
    await page.getByTestId('open-capture').click();
    await page.getByTestId('capture-path-input').fill(tampered.folder);
    await page.getByTestId('capture-path-input').press('Enter');
    await page.locator('[data-testid="process-row"][data-pid="1"]').waitFor();
    const badge = page.getByTestId('integrity-badge').first();
    expect(await badge.getAttribute('data-verified')).toBe('false');
    expect(await badge.textContent()).toContain('artifacts/helper.log');
    expect(await page.getByTestId('error-banner').first().getAttribute('data-code')).toBe('BUNDLE_HASH_MISMATCH');
    await expect.poll(() => page.getByTestId('process-count').textContent()).toBe(`${tampered.processCount} processes`);
  });
});

