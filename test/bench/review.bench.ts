import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessWindowQuery } from '../../preload/api';
import { createCaptureService } from '../../main/captures/capture-service';
import { createReviewQueries } from '../../main/review/review-queries';
import { writeBigCapture } from '../support/big-capture';
import type { Page } from 'playwright-core';
import { startWebWorkbench } from '../support/web-mode';
import { elapsedMs, median, type BenchRow, type BenchSection } from './bench-table';

const ms = (value: number): string => `${value.toFixed(0)} ms`;

async function timed(runs: number, work: (run: number) => unknown | Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const start = performance.now();
    await work(run);
    times.push(elapsedMs(start));
  }
  return median(times);
}

/** Main-side costs: open (verify + parse + rows), index build, and one query of each kind. */
async function benchMain(folder: string, runs: number): Promise<{ open: number; index: number; search: number; regex: number; filter: number; sort: number }> {
  const captures = createCaptureService();
  let handle = '';
  const open = await timed(runs, async () => {
    if (handle) captures.close(handle);
    handle = (await captures.open(folder)).handle;
  });
  const queries = createReviewQueries({ captures, appDataDir: join(folder, '..', 'app-data') });
  const base: ProcessWindowQuery = { handle, search: '', regex: false, filters: {}, sort: { key: 'pid', descending: false }, mode: 'tree', collapsed: [], offset: 0, limit: 300 };
  const indexStart = performance.now();
  queries.queryProcesses(base);
  const index = elapsedMs(indexStart);
  const words = ['nginx', 'postgres', 'gunicorn', 'redis'];
  const search = await timed(runs * 2, (run) => queries.queryProcesses({ ...base, search: words[run % words.length] as string }));
  const regex = await timed(runs * 2, (run) => queries.queryProcesses({ ...base, search: `^${words[run % words.length]}`, regex: true }));
  const filter = await timed(runs * 2, (run) => queries.queryProcesses({ ...base, filters: run % 2 ? { flaggedOnly: true } : { user: 'postgres' } }));
  const sort = await timed(1, () => queries.queryProcesses({ ...base, sort: { key: 'rss', descending: true } }));
  captures.close(handle);
  return { open, index, search, regex, filter, sort };
}

/**
 * Times one change inside the page, from the input event to the frame after the process count
 * changed: measured with the page's own clock, so the driver's round trips are not counted.
 */
async function inPageTiming(page: Page, change: { readonly search: string } | { readonly toggle: string }): Promise<number> {
  return page.evaluate(async (action) => {
    const count = document.querySelector('[data-testid="process-count"]');
    if (!count) throw new Error('no process count on the page');
    const before = count.textContent;
    return new Promise<number>((resolve) => {
      const start = performance.now();
      const observer = new MutationObserver(() => {
        if (count.textContent === before) return;
        observer.disconnect();
        requestAnimationFrame(() => resolve(performance.now() - start));
      });
      observer.observe(count, { characterData: true, childList: true, subtree: true });
      if ('search' in action) {
        const input = document.querySelector<HTMLInputElement>('[data-testid="process-search"]');
        // React tracks the value it set; the prototype setter makes the change visible to onChange.
        Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(input, action.search);
        input?.dispatchEvent(new Event('input', { bubbles: true }));
      } else {
        document.querySelector<HTMLInputElement>(`[data-testid="${action.toggle}"]`)?.click();
      }
    });
  }, change);
}

/** What a user sees in Chromium (web mode): open to first rows, and search and filter to updated rows. */
async function benchBrowser(folder: string, runs: number): Promise<{ openToRows: number; firstRender: number; search: number; filter: number }> {
  const workbench = await startWebWorkbench();
  try {
    const { page } = workbench;
    let openAnswered = 0;
    page.on('websocket', (socket) => {
      socket.on('framereceived', (frame) => {
        if (typeof frame.payload === 'string' && frame.payload.includes('"provenance"') && frame.payload.includes('"processCount"')) openAnswered = performance.now();
      });
    });
    await page.getByTestId('open-capture').click();
    await page.getByTestId('capture-path-input').fill(folder);
    const openStart = performance.now();
    await page.getByTestId('capture-path-input').press('Enter');
    await page.locator('[data-testid="process-row"][data-pid="1"]').waitFor({ timeout: 120_000 });
    const rowsShown = performance.now();

    const words = ['nginx', 'postgres', 'gunicorn', 'redis'];
    const searchTimes: number[] = [];
    for (let run = 0; run < runs * 2; run += 1) searchTimes.push(await inPageTiming(page, { search: words[run % words.length] as string }));
    const searchMs = median(searchTimes);
    await inPageTiming(page, { search: '' });
    const filterTimes: number[] = [];
    for (let run = 0; run < runs * 2; run += 1) filterTimes.push(await inPageTiming(page, { toggle: 'flagged-only' }));
    const filterMs = median(filterTimes);
    return { openToRows: rowsShown - openStart, firstRender: openAnswered > 0 ? rowsShown - openAnswered : Number.NaN, search: searchMs, filter: filterMs };
  } finally {
    await workbench.close();
  }
}

/**
 * Review speed on generated captures of 10k and 100k processes: open, first render, search, filter.
 *
 * Needs the renderer built (`npx electron-vite build`): the browser half drives Chromium through
 * the web mode.
 */
export async function benchReview(sizes: readonly number[] = [10_000, 100_000], runs = 3): Promise<BenchSection> {
  const root = await mkdtemp(join(tmpdir(), 'civic-bench-review-'));
  const rows: BenchRow[] = [];
  try {
    for (const size of sizes) {
      const label = `${size / 1000}k`;
      const generateStart = performance.now();
      const capture = await writeBigCapture(join(root, `capture-${size}`), { processCount: size });
      const generate = elapsedMs(generateStart);
      const main = await benchMain(capture.folder, runs);
      const browser = await benchBrowser(capture.folder, runs);
      rows.push(
        { name: `${label}: open (verify, parse, escape rows) in main`, value: ms(main.open), note: `capture written in ${ms(generate)}` },
        { name: `${label}: index build (first query)`, value: ms(main.index) },
        { name: `${label}: first render in Chromium (open answered → rows shown)`, value: ms(browser.firstRender), baseline: 'target ≤ 1000 ms at 100k', note: `click to rows: ${ms(browser.openToRows)}` },
        { name: `${label}: search, input event → count updated and painted, in Chromium`, value: ms(browser.search), note: `main query: ${ms(main.search)} plain, ${ms(main.regex)} regex` },
        { name: `${label}: filter (flagged only), click → count updated and painted, in Chromium`, value: ms(browser.filter), baseline: 'target ≤ 100 ms at 100k', note: `main query: ${ms(main.filter)}` },
        { name: `${label}: sort by RSS (first time, builds the rank)`, value: ms(main.sort) },
      );
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return {
    title: 'Offline review on large captures',
    description:
      'Generated captures (test/support/big-capture.ts) opened by the real services; the browser rows drive Chromium through the web mode ' +
      '(`npx electron-vite build` first). Process rows stay in main: the renderer asks for windows of ~300, so search, filter and sort ' +
      'run over typed arrays in main and only a window crosses the socket. Medians of several runs.',
    rows,
  };
}
