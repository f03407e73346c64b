import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { TimelineChart } from '../../../../../renderer/src/features/review/timeline-chart';
import { sampleFacts } from '../../support/sample-capture';

afterEach(cleanup);

const commands = [
  { argv: ['civic-helper', 'clone'], exitCode: 0, startedAt: '2026-11-26T10:00:00.000Z', endedAt: '2026-11-26T10:00:10.000Z' },
  { argv: ['civic-helper', 'detect'], exitCode: 1, startedAt: '2026-11-26T10:00:10.000Z', endedAt: '2026-11-26T10:00:50.000Z' },
];

describe('TimelineChart', () => {
  it('draws process starts, capture steps (failed ones marked) and says metrics were not collected', () => {
    const { container } = render(<TimelineChart facts={sampleFacts} commands={commands} captureStart="2026-11-26T10:00:00.000Z" captureEnd="2026-11-26T10:01:00.000Z" />);
    expect(container.querySelectorAll('rect.chart-bar')).toHaveLength(1);
    expect(container.querySelectorAll('rect.chart-step')).toHaveLength(2);
    expect(container.querySelectorAll('rect.chart-step-failed')).toHaveLength(1);
    expect(screen.getByTestId('timeline').textContent).toContain('Not collected in this capture.');
  });

  it('draws one line chart per metric series', () => {
    const facts = {
      ...sampleFacts,
      metrics: [
        { name: 'CPU busy (%)', points: [{ at: '2026-11-26T10:00:00.000Z', value: 10 }, { at: '2026-11-26T10:00:10.000Z', value: 40 }] },
        { name: 'Memory used (MiB)', points: [{ at: '2026-11-26T10:00:00.000Z', value: 900 }] },
      ],
    };
    const { container } = render(<TimelineChart facts={facts} commands={[]} captureStart="2026-11-26T10:00:00.000Z" captureEnd="2026-11-26T10:01:00.000Z" />);
    expect(screen.getAllByTestId('metric-chart').map((chart) => chart.querySelector('figcaption')?.textContent)).toEqual([
      'CPU busy (%): last 40, peak 40',
      'Memory used (MiB): last 900, peak 900',
    ]);
    expect(container.querySelectorAll('polyline.chart-line')).toHaveLength(2);
  });
});
