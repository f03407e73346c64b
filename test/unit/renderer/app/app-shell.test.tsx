import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ProcessRow } from '../../../../preload/api';
import { createFakeApi, failed, ok } from '../support/fake-api';
import { giveScrollContainersHeight } from '../support/layout';
import { renderApp } from '../support/render-app';
import { detailOf, processRow, sampleOverview, text, windowsOf } from '../support/sample-capture';

beforeAll(() => giveScrollContainersHeight());
afterEach(cleanup);

function shownPids(): number[] {
  return screen.getAllByTestId('process-row').map((row) => Number(row.dataset.pid));
}

async function openSample() {
  const fake = createFakeApi();
  const view = renderApp(fake.api);
  fireEvent.click(await screen.findByTestId('open-sample'));
  await screen.findAllByTestId('process-row');
  return { ...view, fake };
}

describe('welcome to review', () => {
  it('opens the sample capture and shows its processes, findings and integrity', async () => {
    const { fake } = await openSample();
    expect(fake.api.getSampleCapturePath).toHaveBeenCalledOnce();
    expect(fake.api.openCapture).toHaveBeenCalledWith({ path: sampleOverview.path });
    expect(shownPids()).toEqual([1, 410, 1022, 1337, 800, 801, 802]);
    const findings = screen.getAllByTestId('finding-item');
    expect(findings.map((item) => item.dataset.findingId)).toEqual(['f-1', 'f-2']);
    expect(screen.getByTestId('integrity-badge').textContent).toContain('Verified');
    expect(screen.getByText(sampleOverview.title)).toBeTruthy();
    expect(screen.getByText(sampleOverview.provenance.host.hostKeySha256)).toBeTruthy();
  });

  it('filters rows with the search box, keeping ancestors for context', async () => {
    const { fake } = await openSample();
    fireEvent.change(screen.getByTestId('process-search'), { target: { value: 'www-data' } });
    await waitFor(() => expect(shownPids()).toEqual([1, 800, 801, 802]));
    expect(screen.getByTestId('process-count').textContent).toBe('2 of 7 processes');
    expect(fake.api.queryProcesses).toHaveBeenLastCalledWith(expect.objectContaining({ search: 'www-data', offset: 0 }));
    fireEvent.keyDown(screen.getByTestId('process-search'), { key: 'Escape' });
    await waitFor(() => expect(shownPids()).toHaveLength(7));
  });

  it('shows an invalid regex inline instead of failing', async () => {
    await openSample();
    fireEvent.click(screen.getByTestId('search-regex'));
    fireEvent.change(screen.getByTestId('process-search'), { target: { value: '([' } });
    expect((await screen.findByTestId('search-error')).textContent).toMatch(/not a valid regular expression/i);
    expect(shownPids()).toHaveLength(7);
  });

  it('narrows to flagged processes, and to a user', async () => {
    await openSample();
    fireEvent.click(screen.getByTestId('flagged-only'));
    await waitFor(() => expect(shownPids()).toEqual([1, 410, 1022, 1337]));
    fireEvent.click(screen.getByTestId('flagged-only'));
    fireEvent.change(screen.getByTestId('user-filter'), { target: { value: 'www-data' } });
    await waitFor(() => expect(shownPids()).toEqual([1, 800, 801, 802]));
  });

  it('sorts by a column and flips the direction on a second click', async () => {
    await openSample();
    fireEvent.click(screen.getByTestId('view-mode'));
    await waitFor(() => expect(shownPids()).toEqual([1, 410, 800, 801, 802, 1022, 1337]));
    fireEvent.click(screen.getByTestId('sort-cpu'));
    await waitFor(() => expect(shownPids()[0]).toBe(1337));
    fireEvent.click(screen.getByTestId('sort-pid'));
    fireEvent.click(screen.getByTestId('sort-pid'));
    await waitFor(() => expect(shownPids()).toEqual([1337, 1022, 802, 801, 800, 410, 1]));
  });

  it('selects the process of a clicked finding and shows every field', async () => {
    await openSample();
    fireEvent.change(screen.getByTestId('process-search'), { target: { value: 'nginx' } });
    await waitFor(() => expect(shownPids()).toEqual([1, 800, 801, 802]));
    fireEvent.click(screen.getAllByTestId('finding-item')[0] as HTMLElement);
    const detail = await screen.findByTestId('process-detail');
    expect(detail.textContent).toContain('kworkerd');
    expect(detail.textContent).toContain('/tmp/.x/kworkerd');
    expect(detail.textContent).toContain('deleted from disk');
    expect(within(detail).getByText('stratum+tcp://203.0.113.9:3333')).toBeTruthy();
    // The search hid the process, so it was cleared to show it.
    await waitFor(() => expect((screen.getByTestId('process-search') as HTMLInputElement).value).toBe(''));
    await waitFor(() => {
      const selected = screen.getAllByTestId('process-row').find((row) => row.getAttribute('aria-selected') === 'true');
      expect(selected?.dataset.pid).toBe('1337');
    });
  });

  it('hides secrets in the environment until revealed', async () => {
    const { fake } = await openSample();
    fireEvent.click(screen.getAllByTestId('process-row')[3] as HTMLElement);
    const environment = await screen.findByTestId('detail-environment');
    expect(environment.textContent).toContain('[redacted]');
    expect(environment.textContent).not.toContain('hunter2');
    fireEvent.click(screen.getByTestId('reveal-secrets'));
    await waitFor(() => expect(screen.getByTestId('detail-environment').textContent).toContain('hunter2'));
    expect(fake.api.getProcessDetail).toHaveBeenLastCalledWith({ handle: sampleOverview.handle, pid: 1337, record: 6, revealSecrets: true });
  });

  it('moves the selection with the arrow keys and collapses with Left', async () => {
    await openSample();
    const table = screen.getByRole('treegrid');
    fireEvent.keyDown(table, { key: 'ArrowDown' });
    await waitFor(() => expect(screen.getByTestId('process-detail').textContent).toMatch(/pid 1(?!\d)/));
    fireEvent.keyDown(table, { key: 'ArrowDown' });
    await waitFor(() => expect(screen.getByTestId('process-detail').textContent).toContain('pid 410'));
    fireEvent.keyDown(table, { key: 'ArrowLeft' });
    await waitFor(() => expect(shownPids()).toEqual([1, 410, 800, 801, 802]));
    fireEvent.keyDown(table, { key: 'Enter' });
    await waitFor(() => expect(shownPids()).toHaveLength(7));
    fireEvent.keyDown(table, { key: 'ArrowLeft' });
    await waitFor(() => expect(shownPids()).toHaveLength(5));
    fireEvent.keyDown(table, { key: 'ArrowLeft' });
    await waitFor(() => expect(screen.getByTestId('process-detail').textContent).toMatch(/pid 1(?!\d)/));
    fireEvent.keyDown(table, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('process-detail')).toBeNull());
  });

  it('renders only a window of rows for a large capture', async () => {
    const many: ProcessRow[] = [processRow(1, 0, 'init')];
    for (let pid = 2; pid <= 5000; pid++) many.push(processRow(pid, 1, `worker-${pid}`));
    const windows = windowsOf(many);
    const fake = createFakeApi({ queryProcesses: vi.fn(async (query) => ok(windows(query))) });
    renderApp(fake.api);
    fireEvent.click(await screen.findByTestId('open-sample'));
    await screen.findAllByTestId('process-row');
    expect(shownPids().length).toBeGreaterThan(10);
    expect(shownPids().length).toBeLessThan(100);
    expect(screen.getByTestId('process-count').textContent).toBe('5000 processes');
    // The table asks main for a window, never for every process.
    expect(fake.api.getProcesses).not.toHaveBeenCalled();
    expect(vi.mocked(fake.api.queryProcesses).mock.calls.every(([query]) => query.limit <= 1000)).toBe(true);
  });

  it('renders hostile guest strings in rows and detail as text', async () => {
    const hostile = '<img src=x onerror=alert(1)>\\x1b[31m\\u202eexe.txt';
    const rows = [processRow(1, 0, hostile, { argv: [text(hostile), { text: 'cut', truncated: true }] })];
    const windows = windowsOf(rows);
    const fake = createFakeApi({
      queryProcesses: vi.fn(async (query) => ok(windows(query))),
      getProcessDetail: vi.fn(async (args) => detailOf(rows, args.pid, args.revealSecrets)),
      getFindings: vi.fn(async () => ok([])),
    });
    const { container } = renderApp(fake.api);
    fireEvent.click(await screen.findByTestId('open-sample'));
    const row = (await screen.findAllByTestId('process-row'))[0] as HTMLElement;
    fireEvent.click(row);
    expect(row.textContent).toContain(hostile);
    await waitFor(() => expect(screen.getByTestId('process-detail').textContent).toContain('cut…truncated'));
    expect(container.querySelector('img')).toBeNull();
  });

  it('names the failed artifacts when integrity failed', async () => {
    const fake = createFakeApi({
      openCapture: vi.fn(async () =>
        ok({
          ...sampleOverview,
          integrity: {
            ...sampleOverview.integrity,
            verified: false,
            problems: [{ code: 'BUNDLE_HASH_MISMATCH' as const, message: 'Changed.', hint: 'Do not rely on it.', subject: 'processes.json' }],
          },
        }),
      ),
    });
    renderApp(fake.api);
    fireEvent.click(await screen.findByTestId('open-sample'));
    const badge = await screen.findByTestId('integrity-badge');
    expect(badge.textContent).toContain('Integrity failed: processes.json');
    expect(screen.getByTestId('error-banner').dataset.code).toBe('BUNDLE_HASH_MISMATCH');
  });
});

describe('opening captures', () => {
  it('shows a path field when there is no native dialog, and opens the typed path', async () => {
    const fake = createFakeApi({
      pickCapturePath: vi.fn(async () => failed('NOT_SUPPORTED', 'No file dialog in web mode.')),
    });
    renderApp(fake.api);
    fireEvent.click(await screen.findByTestId('open-capture'));
    const input = (await screen.findByTestId('capture-path-input')) as HTMLInputElement;
    expect(document.activeElement).toBe(input);
    expect(screen.queryByTestId('error-banner')).toBeNull();
    fireEvent.change(input, { target: { value: ' /srv/captures/db.civic ' } });
    fireEvent.submit(input.form as HTMLFormElement);
    await screen.findAllByTestId('process-row');
    expect(fake.api.openCapture).toHaveBeenCalledWith({ path: '/srv/captures/db.civic' });
  });

  it('closes the path field with Escape and returns focus to the button', async () => {
    const fake = createFakeApi({ pickCapturePath: vi.fn(async () => failed('NOT_SUPPORTED')) });
    renderApp(fake.api);
    fireEvent.click(await screen.findByTestId('open-capture'));
    fireEvent.keyDown(await screen.findByTestId('capture-path-input'), { key: 'Escape' });
    expect(screen.queryByTestId('capture-path-input')).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId('open-capture'));
  });

  it('shows the message and hint when a capture is refused, and stays on the welcome', async () => {
    const fake = createFakeApi({ openCapture: vi.fn(async () => failed('BUNDLE_PATH_TRAVERSAL', 'Entry ../../etc/passwd.')) });
    renderApp(fake.api);
    fireEvent.click(await screen.findByTestId('open-sample'));
    const banner = await screen.findByTestId('error-banner');
    expect(banner.textContent).toContain('Entry ../../etc/passwd.');
    expect(banner.textContent).toContain('Hint for BUNDLE_PATH_TRAVERSAL.');
    expect(screen.getByTestId('open-sample')).toBeTruthy();
  });

  it('opens a dropped file through its uploaded path', async () => {
    const fake = createFakeApi();
    renderApp(fake.api);
    const file = new File(['x'], 'web-01.civic');
    fireEvent.drop(await screen.findByTestId('drop-zone'), { dataTransfer: { files: [file] } });
    await screen.findAllByTestId('process-row');
    expect(fake.api.pathForDroppedFile).toHaveBeenCalledWith(file);
    expect(fake.api.openCapture).toHaveBeenCalledWith({ path: '/uploads/web-01.civic' });
  });

  it('keeps a file dropped outside the drop zone from navigating away', async () => {
    renderApp(createFakeApi().api);
    await screen.findByTestId('open-sample');
    const drop = new Event('drop', { cancelable: true });
    window.dispatchEvent(drop);
    expect(drop.defaultPrevented).toBe(true);
  });

  it('reopens a recent capture', async () => {
    const fake = createFakeApi({
      listRecentCaptures: vi.fn(async () => ok([{ path: '/srv/old.civic', title: 'old one', openedAt: '2026-11-25T08:00:00Z' }])),
    });
    renderApp(fake.api);
    fireEvent.click(await screen.findByText('old one'));
    await screen.findAllByTestId('process-row');
    expect(fake.api.openCapture).toHaveBeenCalledWith({ path: '/srv/old.civic' });
  });

  it('closes the capture and returns to the welcome', async () => {
    const { fake } = await openSample();
    fireEvent.click(screen.getByText('Close capture'));
    await screen.findByTestId('open-sample');
    expect(fake.api.closeCapture).toHaveBeenCalledWith({ handle: sampleOverview.handle });
  });
});

describe('shell', () => {
  it('switches views with the navigation and with Alt/Ctrl+digit, focusing the heading', async () => {
    renderApp(createFakeApi().api);
    await screen.findByTestId('open-sample');
    fireEvent.click(screen.getByTestId('nav-jobs'));
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Jobs');
    expect(document.activeElement).toBe(screen.getByRole('heading', { level: 1 }));
    fireEvent.keyDown(window, { key: '4', altKey: true });
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Experiments');
    fireEvent.keyDown(window, { key: '5', altKey: true });
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Wizards');
    fireEvent.keyDown(window, { key: '1', ctrlKey: true });
    expect(screen.getByText('Connect to a KVM host over SSH')).toBeTruthy();
    fireEvent.keyDown(screen.getByTestId('nav-hosts'), { key: 'ArrowDown' });
    expect(document.activeElement).toBe(screen.getByTestId('nav-jobs'));
  });

  it('lists hosts from the service and starts on Hosts when some exist', async () => {
    const fake = createFakeApi({
      listHosts: vi.fn(async () =>
        ok([{ id: 'kvm-a', alias: 'kvm-a', hostName: '10.0.0.5', user: 'ops', port: 22, source: 'ssh-config' as const }]),
      ),
    });
    renderApp(fake.api);
    const item = await screen.findByTestId('host-item');
    expect(item.textContent).toContain('10.0.0.5:22');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Hosts');
    act(() => fake.emitSessionState({ hostId: 'kvm-a', state: 'connected' }));
    expect(screen.getByTestId('host-item').textContent).toContain('connected');
  });

  it('shows jobs from progress events and cancels a running one', async () => {
    const fake = createFakeApi();
    renderApp(fake.api);
    fireEvent.click(await screen.findByTestId('nav-jobs'));
    const job = {
      jobId: 'f9c1f0e4-8a55-4c9e-9a1b-3a1f6f1b2c3d',
      kind: 'clone' as const,
      title: 'Clone web-01',
      state: 'running' as const,
      value: 0.42,
      step: 'Migrating memory',
      startedAt: '2026-11-26T10:00:00.000Z',
    };
    act(() => fake.emitJobProgress({ job }));
    const item = screen.getByTestId('job-item');
    expect(item.textContent).toContain('Migrating memory');
    expect(within(item).getByRole('progressbar').getAttribute('aria-valuenow')).toBe('42');
    expect(screen.getByTestId('nav-jobs').textContent).toContain('1');
    fireEvent.click(within(item).getByText('Cancel'));
    expect(fake.api.cancelJob).toHaveBeenCalledWith({ jobId: job.jobId });
    act(() => fake.emitJobProgress({ job: { ...job, state: 'cancelled', error: { code: 'CANCELLED', message: 'Stopped.', hint: 'Again.' } } }));
    expect(within(screen.getByTestId('job-item')).queryByText('Cancel')).toBeNull();
    expect(screen.getByTestId('error-banner').dataset.code).toBe('CANCELLED');
  });

  it('shows a banner with Reload when the connection is lost', async () => {
    let lose: () => void = () => undefined;
    renderApp(createFakeApi().api, {
      onConnectionLost: (listener) => {
        lose = listener;
        return () => undefined;
      },
    });
    await screen.findByTestId('open-sample');
    act(() => lose());
    const banner = screen.getByTestId('error-banner');
    expect(banner.dataset.code).toBe('CONNECTION_LOST');
    expect(banner.textContent).toContain('Reload the page.');
    expect(within(banner).getByText('Reload')).toBeTruthy();
  });

  it('wires events once and removes them on stop', async () => {
    const fake = createFakeApi();
    const { stop } = renderApp(fake.api);
    await waitFor(() => expect(fake.api.listHosts).toHaveBeenCalled());
    // Rendering and loading add none: every listener is one start-up subscription.
    expect(fake.api.onSessionState).toHaveBeenCalledOnce();
    expect(fake.listenerCount()).toBe(vi.mocked(fake.api.onJobProgress).mock.calls.length + 1);
    expect(fake.listenerCount()).toBeGreaterThanOrEqual(2);
    stop();
    expect(fake.listenerCount()).toBe(0);
  });
});
