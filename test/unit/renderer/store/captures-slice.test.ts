import { describe, expect, it, vi } from 'vitest';
import type { CaptureOverview, ProcessRow, ProcessWindow, ProcessWindowQuery, Result } from '../../../../preload/api';
import { createWorkbenchStore } from '../../../../renderer/src/store/create-workbench-store';
import { createFakeApi, failed, ok } from '../support/fake-api';
import { processRow, sampleOverview, windowsOf } from '../support/sample-capture';

/** A promise the test settles by hand, to control the order in which answers arrive. */
function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

describe('captures slice', () => {
  it('opens a capture, loads its first window of processes, sorts findings and switches to Review', async () => {
    const fake = createFakeApi();
    const store = createWorkbenchStore(fake.api);
    store.getState().showView('jobs');
    await expect(store.getState().openCapture('/a.civic')).resolves.toBe(true);
    const state = store.getState();
    expect(state.captureStatus).toBe('open');
    expect(state.processWindow?.total).toBe(7);
    expect(state.processWindow?.rows[0]?.process.pid).toBe(1);
    expect(state.facts?.users).toEqual(['root', 'www-data']);
    expect(fake.api.getProcesses).not.toHaveBeenCalled();
    expect(state.findings[0]?.severity).toBe('critical');
    expect(state.view).toBe('review');
  });

  it('drops the answer of an older open when a newer one was started', async () => {
    const slow = deferred<Result<CaptureOverview>>();
    const openCapture = vi
      .fn()
      .mockImplementationOnce(() => slow.promise)
      .mockImplementationOnce(async () => ok({ ...sampleOverview, handle: 'h-new', title: 'new' }));
    const fake = createFakeApi({ openCapture });
    const store = createWorkbenchStore(fake.api);
    const first = store.getState().openCapture('/old.civic');
    await store.getState().openCapture('/new.civic');
    slow.resolve(ok({ ...sampleOverview, handle: 'h-old', title: 'old' }));
    await expect(first).resolves.toBe(false);
    expect(store.getState().overview?.title).toBe('new');
    expect(fake.api.closeCapture).toHaveBeenCalledWith({ handle: 'h-old' });
    expect(fake.api.closeCapture).not.toHaveBeenCalledWith({ handle: 'h-new' });
  });

  it('closes the previous capture once another one is open', async () => {
    const openCapture = vi
      .fn()
      .mockImplementationOnce(async () => ok({ ...sampleOverview, handle: 'h-1' }))
      .mockImplementationOnce(async () => ok({ ...sampleOverview, handle: 'h-2' }));
    const fake = createFakeApi({ openCapture });
    const store = createWorkbenchStore(fake.api);
    await store.getState().openCapture('/1.civic');
    await store.getState().openCapture('/2.civic');
    expect(fake.api.closeCapture).toHaveBeenCalledWith({ handle: 'h-1' });
    expect(store.getState().overview?.handle).toBe('h-2');
  });

  it('keeps the open capture when another fails to open, and reports the error', async () => {
    const openCapture = vi
      .fn()
      .mockImplementationOnce(async () => ok(sampleOverview))
      .mockImplementationOnce(async () => failed('BUNDLE_TRUNCATED'));
    const store = createWorkbenchStore(createFakeApi({ openCapture }).api);
    await store.getState().openCapture('/good.civic');
    await expect(store.getState().openCapture('/cut.civic')).resolves.toBe(false);
    const state = store.getState();
    expect(state.overview?.handle).toBe(sampleOverview.handle);
    expect(state.captureStatus).toBe('open');
    expect(state.captureError?.code).toBe('BUNDLE_TRUNCATED');
  });

  it('reports a failure to read findings and leaves no half-open capture', async () => {
    const store = createWorkbenchStore(createFakeApi({ getFindings: vi.fn(async () => failed('BUNDLE_DOCUMENT_TOO_DEEP')) }).api);
    await expect(store.getState().openCapture('/deep.civic')).resolves.toBe(false);
    expect(store.getState()).toMatchObject({ overview: null, captureStatus: 'idle', captureError: { code: 'BUNDLE_DOCUMENT_TOO_DEEP' } });
  });

  it('does nothing when the user cancels the file dialog', async () => {
    const fake = createFakeApi({ pickCapturePath: vi.fn(async () => ok(null)) });
    const store = createWorkbenchStore(fake.api);
    await expect(store.getState().pickAndOpenCapture()).resolves.toBe(false);
    expect(fake.api.openCapture).not.toHaveBeenCalled();
    expect(store.getState()).toMatchObject({ captureError: null, pathEntryVisible: false });
  });

  it('selecting a finding reveals its process through collapsed parents and filters', async () => {
    const store = createWorkbenchStore(createFakeApi().api);
    await store.getState().openCapture('/a.civic');
    store.getState().toggleBranch(410);
    store.getState().setFilters({ flaggedOnly: true });
    store.getState().setSearch('nginx');
    const finding = store.getState().findings[0];
    if (!finding) throw new Error('the sample has findings');
    await store.getState().selectFinding(finding);
    const state = store.getState();
    expect(state.selectedPid).toBe(1337);
    expect(state.processView.collapsed).not.toContain(410);
    expect(state.processView.search).toBe('');
    expect(state.processWindow?.rows[state.cursorIndex ?? -1]?.process.pid).toBe(1337);
    expect(state.detail?.process.pid).toBe(1337);
  });

  it('keeps filters that do not hide the selected process', async () => {
    const store = createWorkbenchStore(createFakeApi().api);
    await store.getState().openCapture('/a.civic');
    store.getState().setFilters({ flaggedOnly: true });
    await store.getState().selectProcess(1337);
    expect(store.getState().processView.filters).toEqual({ flaggedOnly: true });
    expect(store.getState().cursorIndex).toBe(3);
  });

  it('reports a finding whose processes are not in the capture, selecting nothing', async () => {
    const store = createWorkbenchStore(createFakeApi().api);
    await store.getState().openCapture('/a.civic');
    const finding = store.getState().findings[0];
    if (!finding) throw new Error('the sample has findings');
    await store.getState().selectFinding({ ...finding, pids: [999_999] });
    expect(store.getState().detail).toBeNull();
    expect(store.getState().cursorIndex).toBeNull();
    expect(store.getState().reviewError?.code).toBe('NOT_FOUND');
  });

  it('drops an older process window that answers after a newer one', async () => {
    const slow = deferred<Result<ProcessWindow>>();
    const fake = createFakeApi();
    const store = createWorkbenchStore(fake.api);
    await store.getState().openCapture('/a.civic');
    const normal = fake.api.queryProcesses;
    fake.api.queryProcesses = vi.fn().mockImplementationOnce(() => slow.promise).mockImplementation(normal);
    store.getState().setSearch('nginx');
    store.getState().setSearch('bash');
    await vi.waitFor(() => expect(store.getState().processWindow?.matching).toBe(1));
    slow.resolve(ok({ offset: 0, rows: [], total: 0, matching: 0, processCount: 7, searchError: null, locatedIndex: null }));
    await slow.promise;
    expect(store.getState().processWindow?.matching).toBe(1);
  });

  it('keeps triage answers and compares with a second capture', async () => {
    const fake = createFakeApi({
      compareCaptures: vi.fn(async () =>
        ok({
          before: { handle: 'a', title: 'a' },
          after: { handle: 'b', title: 'b' },
          processes: { added: [], removed: [], addedCount: 0, removedCount: 0, changed: [], changedCount: 0 },
          sockets: { added: [], removed: [], addedCount: 0, removedCount: 0 },
          modules: { added: [], removed: [], addedCount: 0, removedCount: 0 },
          modulesKind: 'executables' as const,
          findings: { added: [], removed: [], addedCount: 0, removedCount: 0 },
        }),
      ),
    });
    const store = createWorkbenchStore(fake.api);
    await store.getState().openCapture('/a.civic');
    await store.getState().setTriage('f-1', 'confirmed', 'seen before');
    expect(store.getState().triage?.entries).toEqual([expect.objectContaining({ findingId: 'f-1', state: 'confirmed', note: 'seen before' })]);
    await store.getState().compareWith('/b.civic');
    expect(store.getState().comparison?.diff.after.title).toBe('b');
    await store.getState().closeCapture();
    expect(store.getState().comparison).toBeNull();
    expect(fake.api.closeCapture).toHaveBeenCalledTimes(2);
  });

  it('keeps a keyboard jump when a window for the rows on screen answers first', async () => {
    const many: ProcessRow[] = [processRow(1, 0, 'init')];
    for (let pid = 2; pid <= 5000; pid++) many.push(processRow(pid, 1, `worker-${pid}`));
    const windows = windowsOf(many);
    const late = deferred<void>();
    const queryProcesses = vi.fn(async (query: ProcessWindowQuery) => {
      if (query.offset > 4000) await late.promise;
      return ok(windows(query));
    });
    const store = createWorkbenchStore(createFakeApi({ queryProcesses }).api);
    await store.getState().openCapture('/a.civic');
    await store.getState().selectRow(0);
    const jump = store.getState().moveCursor('End');
    await store.getState().loadProcessRange(1000, 1020);
    late.resolve();
    await jump;
    expect(store.getState().cursorIndex).toBe(4999);
    expect(store.getState().selectedPid).toBe(5000);
  });

  it('opens the capture named on the command line at start-up, and nothing without one', async () => {
    const fake = createFakeApi({ getLaunchCapturePath: vi.fn(async () => ok('/cases/web.civic')) });
    const store = createWorkbenchStore(fake.api);
    await expect(store.getState().openLaunchCapture()).resolves.toBe(true);
    expect(fake.api.openCapture).toHaveBeenCalledWith({ path: '/cases/web.civic' });
    const none = createFakeApi();
    await expect(createWorkbenchStore(none.api).getState().openLaunchCapture()).resolves.toBe(false);
    expect(none.api.openCapture).not.toHaveBeenCalled();
  });
});

