import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExperimentReportView } from '../../../../renderer/src/components/experiment-report-view';
import { sampleAgentsReport, sampleTuningReport } from '../support/sample-twins';

afterEach(cleanup);

describe('ExperimentReportView, tuning', () => {
  it('has one row per value with medians and intervals, and the recommended row marked', () => {
    render(<ExperimentReportView report={sampleTuningReport} />);
    const rows = screen.getAllByTestId('tuning-row');
    expect(rows.map((row) => row.getAttribute('data-value'))).toEqual(['1024', '2048', '4096']);
    const best = rows[1] as HTMLElement;
    expect(best.getAttribute('data-recommended')).toBe('true');
    expect(best.className).toContain('tuning-row-recommended');
    expect(within(best).getByTestId('tuning-throughput').textContent).toBe('212 req/s (205–220)');
    expect(within(best).getByTestId('tuning-p95').textContent).toBe('11.5 ms (10.8–12.4)');
    expect(within(best).getByTestId('tuning-p99').textContent).toBe('17.0 ms (16.0–19.0)');
    expect(within(best).getByTestId('tuning-errors').textContent).toBe('3 / 5300');
    expect(rows[0]?.getAttribute('data-recommended')).toBeNull();
    const recommendation = screen.getByTestId('tuning-recommendation');
    expect(recommendation.getAttribute('data-value')).toBe('2048');
    expect(recommendation.getAttribute('data-confidence')).toBe('likely');
    expect(screen.getByTestId('tuning-reason').textContent).toContain('18 % more requests');
  });

  it('shows a failed value with its failure text and no figures', () => {
    render(<ExperimentReportView report={sampleTuningReport} />);
    const failed = screen.getAllByTestId('tuning-row')[2] as HTMLElement;
    expect(failed.getAttribute('data-status')).toBe('failed');
    expect(within(failed).getByText('failed')).toBeTruthy();
    expect(within(failed).getByTestId('tuning-failure').textContent).toBe('nginx: [emerg] worker_connections exceed open file resource limit: 1024');
    expect(within(failed).getByTestId('tuning-throughput').textContent).toBe('—');
    expect(within(failed).getByTestId('tuning-errors').textContent).toBe('120 / 400');
  });

  it('draws one labelled chart per value', () => {
    render(<ExperimentReportView report={sampleTuningReport} />);
    const charts = screen.getAllByTestId('tuning-chart');
    expect(charts).toHaveLength(3);
    const image = within(charts[1] as HTMLElement).getByRole('img');
    expect(image.getAttribute('aria-label')).toBe('2048: throughput 212 req/s (205–220), p95 latency 11.5 ms (10.8–12.4)');
    expect(charts[1]?.textContent).toContain('requests per second');
  });

  it('shows the diff with a Copy that confirms, the never-applied sentence and production alone vs during', async () => {
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(<ExperimentReportView report={sampleTuningReport} />);
    expect(screen.getByTestId('tuning-diff').textContent).toContain('+    worker_connections 2048;');
    expect(screen.getByTestId('tuning-never-applied').textContent).toBe('Apply this to production yourself: Civic Workbench never changes production.');
    expect(screen.getByTestId('tuning-production').textContent).toContain('400 req/s');
    expect(screen.getByTestId('tuning-production').textContent).toContain('392 req/s (98 % of its own)');
    fireEvent.click(screen.getByTestId('tuning-diff-copy'));
    expect(writeText).toHaveBeenCalledWith(sampleTuningReport.kind === 'tuning' ? sampleTuningReport.diff : '');
    await waitFor(() => expect(screen.getByTestId('tuning-diff-copy-status').textContent).toBe('Copied'));
  });

  it('says so when no value ran cleanly', () => {
    if (sampleTuningReport.kind !== 'tuning') throw new Error('sample');
    render(<ExperimentReportView report={{ ...sampleTuningReport, recommended: null }} />);
    expect(screen.getByTestId('tuning-recommendation').textContent).toContain('No value ran cleanly');
    expect(screen.getAllByTestId('tuning-row').every((row) => row.getAttribute('data-recommended') === null)).toBe(true);
  });
});

describe('ExperimentReportView, agents', () => {
  it('draws one chart per series with its unit, and an agent error', () => {
    render(<ExperimentReportView report={sampleAgentsReport} />);
    const [guest, exporter] = screen.getAllByTestId('agent-report') as HTMLElement[];
    expect(guest?.textContent).toContain("The guest's own agent (sysstat)");
    const charts = within(guest as HTMLElement).getAllByTestId('series-chart');
    expect(charts.map((chart) => chart.getAttribute('data-series'))).toEqual(['cpu.user', 'memory.used']);
    expect(within(charts[0] as HTMLElement).getByRole('img').getAttribute('aria-label')).toBe('cpu.user in % over 4.0 s: 3 samples from 0.00 to 9.0');
    expect(charts[1]?.textContent).toContain('MiB');
    expect(charts[0]?.textContent).toContain('seconds from start');
    expect(within(exporter as HTMLElement).queryByTestId('series-chart')).toBeNull();
    expect(within(exporter as HTMLElement).getByTestId('agent-error').textContent).toContain('did not answer');
  });
});
