import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBundle } from '../../main/bundle/bundle-reader';
import type { SystemDocument } from '../../main/bundle/bundle-schema';
import { startWebWorkbench, type WebWorkbench } from '../support/web-mode';

// The System tab in a real browser against the real services: the sample's kernel modules and mounts
// as the capture recorded them.

const samplePath = join(__dirname, '../../resources/samples/sample.civic');
let workbench: WebWorkbench;
let system: SystemDocument;

beforeAll(async () => {
  const bundle = await openBundle(samplePath);
  system = await bundle.readDocument('system');
  await bundle.close();
  workbench = await startWebWorkbench();
});

afterAll(async () => {
  await workbench?.close();
});

describe('System tab (web mode)', () => {
  it('shows the sample capture’s kernel, modules and mounts', async () => {
    const { page } = workbench;
    await page.getByTestId('open-sample').click();
    await page.getByTestId('process-row').first().waitFor();
    await page.getByTestId('tab-system').click();
    await page.getByTestId('system-view').waitFor();

    const modules = page.getByTestId('module-row');
    await expect.poll(() => modules.count()).toBe(system.modules.length);
    const moduleTexts = await modules.allTextContents();
    for (const module of system.modules) expect(moduleTexts.some((text) => text.includes(String(module.name)))).toBe(true);

    const mounts = page.getByTestId('mount-row');
    await expect.poll(() => mounts.count()).toBe(system.mounts.length);
    const mountTexts = await mounts.allTextContents();
    for (const mount of system.mounts) expect(mountTexts.some((text) => text.includes(String(mount.target)) && text.includes(String(mount.fsType)))).toBe(true);

    expect(await page.getByTestId('system-kernel').textContent()).toContain(String(system.kernel.release));
    expect(await page.getByTestId('system-taint').textContent()).toContain(system.kernel.tainted === 0 ? 'not tainted' : String(system.kernel.tainted));

    await page.getByLabel('Search modules').fill('virtio_net');
    await expect.poll(() => modules.count()).toBe(system.modules.filter((module) => String(module.name).includes('virtio_net')).length);
    expect(workbench.pageErrors).toEqual([]);
  });
});
