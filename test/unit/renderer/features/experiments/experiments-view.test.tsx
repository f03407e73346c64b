import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExperimentOutcome, JobSnapshot } from '../../../../../preload/api';
import { createFakeApi, ok } from '../../support/fake-api';
import { renderApp } from '../../support/render-app';
import { sampleOverview } from '../../support/sample-capture';
import { sampleTuningReport, sampleTwin } from '../../support/sample-twins';

afterEach(cleanup);

const host = { id: 'app:1', alias: 'kvm1', hostName: 'kvm1.example.org', port: 22, user: 'root', source: 'app' as const };
const job = (state: JobSnapshot['state']): JobSnapshot => ({ jobId: 'job-9', kind: 'experiment', title: 'Tune worker_connections', state, value: state === 'running' ? 0.5 : 1, step: 'Measuring', startedAt: '2026-06-01T12:00:00.000Z' });
const outcome: ExperimentOutcome = { jobId: 'job-9', bundlePath: '/cases/tuning.civic', verified: true, report: sampleTuningReport };

describe('Experiments view', () => {
  it('sends to Hosts when no twin is live', async () => {
    const fake = createFakeApi({ listHosts: vi.fn(async () => ok([host])), listSessions: vi.fn(async () => ok([{ hostId: 'app:1', state: 'connected' as const }])) });
    const { store } = renderApp(fake.api);
    await waitFor(() => expect(store.getState().sessionStates['app:1']).toBe('connected'));
    fireEvent.click(screen.getByTestId('nav-experiments'));
    fireEvent.click(await screen.findByText('Start a twin from a VM in Hosts'));
    expect(store.getState().view).toBe('hosts');
  });

  it('starts tuning on the live twin, follows the job and shows the report, then opens it in Review', async () => {
    const fake = createFakeApi({
      listHosts: vi.fn(async () => ok([host])),
      listSessions: vi.fn(async () => ok([{ hostId: 'app:1', state: 'connected' as const }])),
      listTwins: vi.fn(async () => ok([sampleTwin()])),
      startTuning: vi.fn(async () => ok({ jobId: 'job-9' })),
      getExperimentOutcome: vi.fn(async () => ok(outcome)),
      getExperiment: vi.fn(async () => ok(sampleTuningReport)),
    });
    const { store } = renderApp(fake.api);
    await waitFor(() => expect(store.getState().twins['app:1']).toHaveLength(1));
    fireEvent.click(screen.getByTestId('nav-experiments'));
    expect((screen.getByTestId('experiment-twin') as HTMLSelectElement).value).toBe('twin-1');
    fireEvent.change(await screen.findByTestId('tuning-profile'), { target: { value: '' } });
    fireEvent.change(screen.getByTestId('tuning-config-path'), { target: { value: '/etc/app.conf' } });
    fireEvent.change(screen.getByTestId('tuning-parameter'), { target: { value: 'threads' } });
    fireEvent.change(screen.getByTestId('tuning-values'), { target: { value: '4, 8' } });
    fireEvent.change(screen.getByTestId('tuning-reload'), { target: { value: 'app-ctl reload' } });
    expect(screen.getByTestId('tuning-estimate').textContent).toContain('About 1 min 40 s');
    fireEvent.click(screen.getByTestId('tuning-start'));
    await waitFor(() => expect(fake.api.startTuning).toHaveBeenCalledWith(expect.objectContaining({ twinId: 'twin-1', values: ['4', '8'], reloadArgv: ['app-ctl', 'reload'] })));
    fake.emitJobProgress({ job: job('running') });
    expect(await screen.findByTestId('experiment-progress')).toBeTruthy();
    fireEvent.click(screen.getByTestId('experiment-cancel'));
    expect(fake.api.cancelJob).toHaveBeenCalledWith({ jobId: 'job-9' });
    fake.emitJobProgress({ job: job('succeeded') });
    const report = await screen.findByTestId('experiment-report');
    expect(within(report).getAllByTestId('tuning-row')).toHaveLength(3);
    fireEvent.click(screen.getByTestId('experiment-open-review'));
    await waitFor(() => expect(fake.api.openCapture).toHaveBeenCalledWith({ path: '/cases/tuning.civic' }));
    // Review opens on the Experiment tab, first of the tabs.
    const tab = await screen.findByTestId('tab-experiment');
    await waitFor(() => expect(tab.getAttribute('aria-selected')).toBe('true'));
    expect(screen.getAllByRole('tab')[0]).toBe(tab);
    expect(fake.api.getExperiment).toHaveBeenCalledWith({ handle: sampleOverview.handle });
    expect(screen.getByTestId('tuning-never-applied')).toBeTruthy();
  });

  it('lists live twins in Jobs with their VM, age and time left, and names the job kinds', async () => {
    const fake = createFakeApi({
      listHosts: vi.fn(async () => ok([host])),
      listSessions: vi.fn(async () => ok([{ hostId: 'app:1', state: 'connected' as const }])),
      listTwins: vi.fn(async () => ok([sampleTwin({ expiresAt: new Date(Date.now() + 600_000).toISOString() })])),
      listJobs: vi.fn(async () => ok([{ ...job('running'), kind: 'twin' as const }])),
    });
    const { store } = renderApp(fake.api);
    await waitFor(() => expect(store.getState().twins['app:1']).toHaveLength(1));
    fireEvent.click(screen.getByTestId('nav-jobs'));
    const row = await screen.findByTestId('jobs-twin');
    expect(row.textContent).toContain('web');
    expect(within(row).getByTestId('jobs-twin-time-left').textContent).toMatch(/^(10:00|9:5\d)$/);
    expect(screen.getByTestId('job-kind').textContent).toBe('Twin');
  });
});
