import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchRequest } from '../../../../main/contract/dispatch';
import { captureFromArgv } from '../../../../main/review/capture-argv';
import { createWorkbenchServices, type WorkbenchServices } from '../../../../main/services';

let root: string;
let services: WorkbenchServices;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'civic-launch-'));
  services = createWorkbenchServices({
    appDataDir: root,
    resourcesDir: root,
    transport: 'electron',
    launchCapturePath: captureFromArgv(['/opt/civic/civic-workbench', '--no-sandbox', '/cases/web.civic']),
  });
});

afterAll(async () => {
  await services.shutdown();
  await rm(root, { recursive: true, force: true });
});

describe('review requests through the contract', () => {
  it('answers the path captureFromArgv found', async () => {
    expect(await services.review.launchCapturePath()).toBe('/cases/web.civic');
  });

  it('refuses a process window query over its caps', async () => {
    const query = { handle: 'h', search: 'x'.repeat(257), regex: false, filters: {}, sort: { key: 'pid', descending: false }, mode: 'tree', collapsed: [], offset: 0, limit: 10 };
    const refused = await dispatchRequest(services, 'queryProcesses', query);
    expect(refused).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    const tooMany = await dispatchRequest(services, 'queryProcesses', { ...query, search: '', limit: 5000 });
    expect(tooMany).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    const unknownFilter = await dispatchRequest(services, 'queryProcesses', { ...query, search: '', filters: { container: 'evil' } });
    expect(unknownFilter).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    const closed = await dispatchRequest(services, 'queryProcesses', { ...query, search: '' });
    expect(closed).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});
