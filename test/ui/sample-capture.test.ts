import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBundle } from '../../main/bundle/bundle-reader';
import type { FindingsDocument, ProcessesDocument } from '../../main/bundle/bundle-schema';
import { startWebWorkbench, type WebWorkbench } from '../support/web-mode';

// The first-run journey in a real browser against the real services: open the sample capture that
// ships with the app (made from the lab's compromised VM) and read its process list and findings.

const samplePath = join(__dirname, '../../resources/samples/sample.civic');
let workbench: WebWorkbench;
let processes: ProcessesDocument['processes'];
let findings: FindingsDocument['findings'];

beforeAll(async () => {
  const bundle = await openBundle(samplePath);
  processes = (await bundle.readDocument('processes')).processes;
  findings = (await bundle.readDocument('findings')).findings;
  await bundle.close();
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

    const init = processes.find((process) => process.pid === 1)!;
    const pid1 = page.locator('[data-testid="process-row"][data-pid="1"]');
    await expect.poll(() => pid1.count()).toBe(1);
    expect(await pid1.textContent()).toContain(String(init.name));

    const items = page.getByTestId('finding-item');
    await expect.poll(() => items.count()).toBe(findings.length);
    expect(await items.allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('Listener on port 31337')]));

    await page.screenshot({ path: join(__dirname, '../../docs/images/workbench.png') });
    expect(workbench.pageErrors).toEqual([]);
  });

  it('selecting a finding selects its process and shows its detail', async () => {
    const { page } = workbench;
    const deleted = findings.find((finding) => finding.rule === 'exe-deleted')!;
    await page.getByTestId('finding-item').filter({ hasText: 'deleted executable' }).first().click();
    const detail = page.getByTestId('process-detail');
    await expect.poll(() => detail.textContent()).toContain(String(deleted.pids[0]));
  });

  it('search narrows the process list', async () => {
    const { page } = workbench;
    const rows = page.getByTestId('process-row');
    const before = await rows.count();
    await page.getByTestId('process-search').fill('civic-worker');
    await expect.poll(() => rows.count()).toBeLessThan(before);
    const texts = await rows.allTextContents();
    expect(texts.some((text) => text.includes('civic-worker'))).toBe(true);
  });
});
