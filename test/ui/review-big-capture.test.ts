import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBigCapture, type BigCaptureFacts } from '../support/big-capture';
import { startWebWorkbench, type WebWorkbench } from '../support/web-mode';

// The review journey on a generated 100k-process capture, in Chromium against the real services:
// open, expand and collapse, search (plain and regex), filter, sort, select and read the detail.

let root: string;
let capture: BigCaptureFacts;
let workbench: WebWorkbench;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'civic-ui-big-'));
  capture = await writeBigCapture(join(root, 'big'), { processCount: 100_000 });
  workbench = await startWebWorkbench();
});

afterAll(async () => {
  await workbench?.close();
  await rm(root, { recursive: true, force: true });
});

const row = (pid: number) => workbench.page.locator(`[data-testid="process-row"][data-pid="${pid}"]`);
const count = () => workbench.page.getByTestId('process-count').textContent();

describe('a 100k-process capture in the browser', () => {
  it('opens through the path field and shows the tree with integrity verified', async () => {
    const { page } = workbench;
    await page.getByTestId('open-capture').click();
    await page.getByTestId('capture-path-input').fill(capture.folder);
    await page.getByTestId('capture-path-input').press('Enter');
    await row(1).waitFor({ timeout: 60_000 });
    await expect.poll(count).toBe(`${capture.processCount} processes`);
    expect(await page.getByTestId('integrity-badge').first().getAttribute('data-verified')).toBe('true');
    // Virtualized: a window of rows in the page, not 100k.
    expect(await page.getByTestId('process-row').count()).toBeLessThan(200);
  });

  it('collapses and expands a branch', async () => {
    const { page } = workbench;
    const systemd = row(1);
    // firstServicePid is systemd's first child; kthreadd (pid 2) comes after all of systemd's descendants.
    expect(await systemd.getAttribute('aria-expanded')).toBe('true');
    await expect.poll(() => row(capture.firstServicePid).count()).toBe(1);
    expect(await row(2).count()).toBe(0);
    await systemd.getByTestId('tree-toggle').click();
    await expect.poll(() => systemd.getAttribute('aria-expanded')).toBe('false');
    await expect.poll(() => row(2).count()).toBe(1);
    expect(await row(capture.firstServicePid).count()).toBe(0);
    expect(Number(await page.getByTestId('process-table').getAttribute('aria-rowcount'))).toBeLessThan(capture.processCount / 10);
    await systemd.getByTestId('tree-toggle').click();
    await expect.poll(() => row(capture.firstServicePid).count()).toBe(1);
    expect(await page.getByTestId('process-table').getAttribute('aria-rowcount')).toBe(String(capture.processCount));
  });

  it('searches, reports a bad or runaway regex inline, and keeps working', async () => {
    const { page } = workbench;
    const search = page.getByTestId('process-search');
    await search.fill('/tmp/.x');
    await expect.poll(count).toBe(`1 of ${capture.processCount} processes`);
    await expect.poll(() => row(capture.backdoorPid).count()).toBe(1);
    // Its ancestor shows as context.
    expect(await row(1).count()).toBe(1);

    await page.getByTestId('search-regex').check();
    await search.fill('([');
    await expect.poll(() => page.getByTestId('search-error').textContent()).toMatch(/not a valid regular expression/i);
    await search.fill('^(a+)+$');
    await expect.poll(() => page.getByTestId('search-error').count()).toBeLessThanOrEqual(1);
    await search.fill('^kworker/u9');
    await expect.poll(count).toBe(`1 of ${capture.processCount} processes`);
    expect(await page.getByTestId('search-error').count()).toBe(0);
    await page.getByTestId('search-regex').uncheck();
    await search.fill('');
    await expect.poll(count).toBe(`${capture.processCount} processes`);
  });

  it('filters by flags, listening sockets and user', async () => {
    const { page } = workbench;
    await page.getByTestId('flagged-only').check();
    await expect.poll(count).toMatch(new RegExp(`^\\d+ of ${capture.processCount} processes$`));
    await expect.poll(() => row(capture.backdoorPid).count()).toBe(1);
    await page.getByTestId('listening-only').check();
    await expect.poll(count).toBe(`1 of ${capture.processCount} processes`);
    await page.getByTestId('flagged-only').uncheck();
    await page.getByTestId('listening-only').uncheck();
    await page.getByTestId('user-filter').selectOption('postgres');
    await expect.poll(count).toMatch(/^\d+ of/);
    await page.getByTestId('view-mode').click();
    const users = await page.locator('[data-testid="process-row"] [role="gridcell"]:nth-child(3)').allTextContents();
    expect(users.length).toBeGreaterThan(0);
    expect(new Set(users)).toEqual(new Set(['postgres']));
    await page.getByTestId('user-filter').selectOption('');
    await expect.poll(count).toBe(`${capture.processCount} processes`);
    await page.getByTestId('cgroup-filter').fill('session-4.scope');
    await expect.poll(count).toBe(`1 of ${capture.processCount} processes`);
    await page.getByTestId('cgroup-filter').fill('');
    await expect.poll(count).toBe(`${capture.processCount} processes`);
  });

  it('sorts the flat list by a column, both directions', async () => {
    const { page } = workbench;
    const firstPid = () => page.getByTestId('process-row').first().getAttribute('data-pid');
    await page.getByTestId('sort-pid').click();
    await expect.poll(() => page.locator('[role="columnheader"][aria-sort="descending"]').count()).toBe(1);
    await expect.poll(firstPid).toBe(String(capture.hostilePids[capture.hostilePids.length - 1]));
    await page.getByTestId('sort-pid').click();
    await expect.poll(firstPid).toBe('1');
    await page.getByTestId('view-mode').click();
  });

  it('selects a process and shows its detail, secrets hidden until revealed', async () => {
    const { page } = workbench;
    await page.getByTestId('process-search').fill('/tmp/.x');
    await row(capture.backdoorPid).click();
    const detail = page.getByTestId('process-detail');
    await expect.poll(() => detail.textContent()).toContain(`pid ${capture.backdoorPid}`);
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain('/tmp/.x');
    expect(text).toContain('deleted from disk');
    expect(text).toContain('31337');
    expect(text).toContain('not collected');
    expect(text).toContain('0::/user.slice/user-33.slice/session-4.scope');
    const mappings = page.getByTestId('detail-mappings');
    expect(await mappings.textContent()).toContain('r-xp /memfd:<img src=x onerror=window.__pwned=1> (deleted)');
    expect(await page.getByTestId('process-detail').locator('img').count()).toBe(0);
    expect(await page.getByTestId('detail-environment').textContent()).toContain('[redacted]');
    expect(text).not.toContain(capture.secretValue);
    await page.getByTestId('reveal-secrets').check();
    await expect.poll(() => page.getByTestId('detail-environment').textContent()).toContain(capture.secretValue);
    await page.getByTestId('reveal-secrets').uncheck();
    await expect.poll(() => page.getByTestId('detail-environment').textContent()).not.toContain(capture.secretValue);
  });

  it('moves the selection with the keyboard', async () => {
    const { page } = workbench;
    const selected = () => page.locator('[data-testid="process-row"][aria-selected="true"]').getAttribute('data-pid');
    await page.getByTestId('process-search').fill('');
    await expect.poll(count).toBe(`${capture.processCount} processes`);
    // The backdoor stays selected and in view; Home goes back to the top.
    await page.getByTestId('process-table').focus();
    await page.keyboard.press('Home');
    await expect.poll(selected).toBe('1');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => row(1).getAttribute('aria-expanded')).toBe('false');
    await page.keyboard.press('ArrowDown');
    await expect.poll(selected).toBe('2');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => row(1).getAttribute('aria-expanded')).toBe('true');
    await page.keyboard.press('ArrowDown');
    await expect.poll(selected).toBe(String(capture.firstServicePid));
    await page.keyboard.press('End');
    const last = page.locator('[data-testid="process-row"][aria-selected="true"]');
    await expect.poll(() => last.getAttribute('data-index')).toBe(String(capture.processCount - 1));
    await expect.poll(async () => page.getByTestId('process-detail').textContent()).toContain(`pid ${await last.getAttribute('data-pid')}`);
    expect(workbench.pageErrors).toEqual([]);
  });
});
