import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBigCapture, type BigCaptureFacts } from '../support/big-capture';
import { startWebWorkbench, type WebWorkbench } from '../support/web-mode';

// Comparing two generated captures in the browser, and the other review tabs: triage kept in a
// sidecar, sockets linked to processes, the timeline, provenance and the artifact viewer.

let root: string;
let before: BigCaptureFacts;
let after: BigCaptureFacts;
let workbench: WebWorkbench;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'civic-ui-compare-'));
  before = await writeBigCapture(join(root, 'before'), { processCount: 3000, variant: 'before' });
  after = await writeBigCapture(join(root, 'after'), { processCount: 3000, variant: 'after' });
  workbench = await startWebWorkbench();
  const { page } = workbench;
  await page.getByTestId('open-capture').click();
  await page.getByTestId('capture-path-input').fill(before.folder);
  await page.getByTestId('capture-path-input').press('Enter');
  await page.locator('[data-testid="process-row"][data-pid="1"]').waitFor();
});

afterAll(async () => {
  await workbench?.close();
  await rm(root, { recursive: true, force: true });
});

describe('review tabs in the browser', () => {
  it('compares with a later capture: the added process and its sockets show', async () => {
    const { page } = workbench;
    await page.getByTestId('tab-compare').click();
    await page.getByTestId('compare-path').fill(after.folder);
    await page.getByTestId('compare-submit').click();
    const added = page.getByTestId('diff-process-added');
    await expect.poll(() => added.count()).toBe(1);
    expect(await page.getByTestId('diff-process-removed').count()).toBe(1);
    expect(await page.locator(`[data-testid="diff-process-added"] [data-pid="${after.addedPid}"]`).count()).toBe(1);
    expect(await page.locator(`[data-testid="diff-process-removed"] [data-pid="${before.removedPid}"]`).count()).toBe(1);
    expect(await page.locator(`[data-testid="diff-socket-added"] [data-port="${after.addedListenPort}"]`).count()).toBe(1);
    expect(await page.getByTestId('diff-module-added').allTextContents()).toEqual([expect.stringContaining(after.addedModule)]);
    expect(await page.getByTestId('compare-view').textContent()).toContain('Kernel modules');
    expect(await page.getByTestId('diff-finding-added').allTextContents()).toEqual([expect.stringContaining('miner')]);
  });

  it('keeps triage in a sidecar beside the capture', async () => {
    const { page } = workbench;
    await page.getByTestId('tab-findings').click();
    const item = page.locator('[data-testid="finding-item"][data-finding-id="F-001"]');
    await item.getByTestId('triage-state').selectOption('confirmed');
    await expect.poll(() => item.getAttribute('data-triage')).toBe('confirmed');
    await item.getByTestId('triage-note').fill('matches the kit from case 12');
    await item.getByTestId('triage-note').blur();
    await expect
      .poll(async () => readFile(`${before.folder}.triage.json`, 'utf8').catch(() => ''))
      .toContain('matches the kit from case 12');
    const sidecar = JSON.parse(await readFile(`${before.folder}.triage.json`, 'utf8')) as { entries: { findingId: string; state: string }[] };
    expect(sidecar.entries).toEqual([expect.objectContaining({ findingId: 'F-001', state: 'confirmed' })]);
  });

  it('lists sockets linked to their processes, and the detail links the process backtrace', async () => {
    const { page } = workbench;
    await page.getByTestId('tab-sockets').click();
    const listener = page.locator('[data-testid="socket-row"][data-port="31337"]');
    await listener.waitFor();
    await listener.getByRole('button').click();
    await expect.poll(() => page.getByTestId('process-detail').textContent()).toContain(`pid ${before.backdoorPid}`);
    const backtrace = page.getByTestId('detail-artifact');
    expect(await backtrace.textContent()).toContain(`artifacts/backtraces/${before.backdoorPid}.txt`);
    expect(await page.getByTestId('process-detail').textContent()).not.toContain('backtraces: not collected');
    await backtrace.getByRole('button').click();
    await expect.poll(() => page.getByTestId('artifact-text').textContent()).toContain(`Thread 1 (LWP ${before.backdoorPid})`);
    expect(await page.evaluate(() => document.querySelector('.review')?.querySelectorAll('script, img, iframe, a[href]').length)).toBe(0);
  });

  it('resizes a column by dragging its edge, rows following the header', async () => {
    const { page } = workbench;
    await page.getByTestId('tab-processes').click();
    const header = page.locator('.process-header');
    const widths = async (selector: string) => page.locator(selector).first().evaluate((element) => (element as HTMLElement).style.gridTemplateColumns.split(' '));
    const before = await widths('.process-header');
    const edge = await page.getByTestId('resize-name').boundingBox();
    if (!edge) throw new Error('the resize handle is not on screen');
    await page.mouse.move(edge.x + edge.width / 2, edge.y + edge.height / 2);
    await page.mouse.down();
    await page.mouse.move(edge.x + edge.width / 2 + 100, edge.y + edge.height / 2, { steps: 5 });
    await page.mouse.up();
    const after = await widths('.process-header');
    expect(parseInt(after[1] ?? '0', 10) - parseInt(before[1] ?? '0', 10)).toBe(100);
    expect(await widths('[data-testid="process-row"]')).toEqual(after);
    expect(await header.count()).toBe(1);
  });

  it('draws the timeline, shows provenance and an artifact, and refuses nothing it should show', async () => {
    const { page } = workbench;
    await page.getByTestId('tab-timeline').click();
    await expect.poll(() => page.locator('[data-testid="timeline"] rect.chart-bar').count()).toBeGreaterThan(10);
    expect(await page.locator('[data-testid="timeline"] rect.chart-step').count()).toBe(3);
    expect(await page.getByTestId('metric-chart').locator('figcaption').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^CPU busy \(%\): last \d/), expect.stringMatching(/^Memory used \(MiB\)/)]),
    );
    await page.getByTestId('tab-provenance').click();
    const commands = await page.getByTestId('commands-table').textContent();
    expect(commands).toContain('civic-helper clone --vm big-web');
    await page.getByTestId('tab-artifacts').click();
    await page.getByTestId('artifact-open').filter({ hasText: 'helper.log' }).click();
    await expect.poll(() => page.getByTestId('artifact-text').textContent()).toContain('\\x1b[2J');
    // The memory dump is listed but cannot be opened from the app.
    expect(await page.getByTestId('artifact-open').filter({ hasText: 'memory.elf' }).count()).toBe(0);
    expect(workbench.pageErrors).toEqual([]);
  });
});
