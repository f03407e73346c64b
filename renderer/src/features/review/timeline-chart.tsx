import type { CaptureFacts, CommandRecord } from '../../../../preload/api';
import { formatTime } from '../../components/format';

const width = 760;
const height = 180;
const margin = { top: 12, right: 12, bottom: 28, left: 44 };

/**
 * Process starts over time as bars, with the capture's commands as spans below: an SVG drawn here.
 *
 * Only numbers and times the app formats reach the SVG: no guest text, so nothing can become markup.
 */
export function TimelineChart({ facts, commands, captureStart, captureEnd }: { facts: CaptureFacts; commands: readonly CommandRecord[]; captureStart: string; captureEnd: string }) {
  const buckets = facts.processStarts;
  const max = Math.max(1, ...buckets.map((bucket) => bucket.count));
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const barWidth = buckets.length === 0 ? 0 : plotWidth / buckets.length;
  const start = Date.parse(captureStart);
  const end = Math.max(start + 1, Date.parse(captureEnd));
  return (
    <div className="timeline" data-testid="timeline">
      <h4 className="subheading">Process starts</h4>
      {buckets.length === 0 ? (
        <p className="muted">No start times were collected.</p>
      ) : (
        <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label="Process starts over time">
          <line x1={margin.left} y1={margin.top + plotHeight} x2={width - margin.right} y2={margin.top + plotHeight} className="chart-axis" />
          <text x={margin.left - 6} y={margin.top + 8} textAnchor="end" className="chart-label">
            {max}
          </text>
          <text x={margin.left - 6} y={margin.top + plotHeight} textAnchor="end" className="chart-label">
            0
          </text>
          {buckets.map((bucket, index) => {
            const barHeight = (bucket.count / max) * plotHeight;
            return (
              <rect
                key={bucket.start}
                className="chart-bar"
                x={margin.left + index * barWidth + 1}
                y={margin.top + plotHeight - barHeight}
                width={Math.max(1, barWidth - 2)}
                height={barHeight}
              >
                <title>{`${bucket.count} started ${formatTime(bucket.start)} – ${formatTime(bucket.end)}`}</title>
              </rect>
            );
          })}
          <text x={margin.left} y={height - 8} className="chart-label">
            {formatTime(buckets[0]?.start)}
          </text>
          <text x={width - margin.right} y={height - 8} textAnchor="end" className="chart-label">
            {formatTime(buckets[buckets.length - 1]?.end)}
          </text>
        </svg>
      )}
      {facts.unknownStarts > 0 ? <p className="muted">{facts.unknownStarts} processes have no start time (kernel threads or not collected).</p> : null}
      <h4 className="subheading">Capture steps</h4>
      <svg className="chart" viewBox={`0 0 ${width} ${24 + commands.length * 18}`} role="img" aria-label="Capture steps">
        {commands.map((command, index) => {
          const from = Math.max(0, (Date.parse(command.startedAt) - start) / (end - start));
          const to = Math.min(1, Math.max(from, (Date.parse(command.endedAt) - start) / (end - start)));
          return (
            <g key={index}>
              <rect className={command.exitCode === 0 ? 'chart-step' : 'chart-step chart-step-failed'} x={margin.left + from * plotWidth} y={6 + index * 18} width={Math.max(2, (to - from) * plotWidth)} height={12}>
                <title>{`${command.argv.join(' ')} (exit ${command.exitCode ?? '—'})`}</title>
              </rect>
            </g>
          );
        })}
      </svg>
      <h4 className="subheading">Metrics</h4>
      {facts.metrics.length === 0 ? <p className="muted">Not collected in this capture.</p> : null}
      {facts.metrics.map((series) => (
        <MetricChart key={series.name} name={series.name} points={series.points} />
      ))}
    </div>
  );
}

const metricHeight = 110;

/** One metric over time as a line, with its last and largest values. */
function MetricChart({ name, points }: { name: string; points: readonly { readonly at: string; readonly value: number }[] }) {
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = metricHeight - margin.top - margin.bottom;
  const times = points.map((point) => Date.parse(point.at));
  const first = Math.min(...times);
  const span = Math.max(1, Math.max(...times) - first);
  const max = Math.max(1, ...points.map((point) => point.value));
  const line = points
    .map((point, index) => {
      const x = margin.left + (((times[index] ?? first) - first) / span) * plotWidth;
      const y = margin.top + plotHeight - (point.value / max) * plotHeight;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
  return (
    <figure className="metric" data-testid="metric-chart">
      <figcaption className="muted">
        {name}: last {points[points.length - 1]?.value ?? 0}, peak {max}
      </figcaption>
      <svg className="chart" viewBox={`0 0 ${width} ${metricHeight}`} role="img" aria-label={name}>
        <line x1={margin.left} y1={margin.top + plotHeight} x2={width - margin.right} y2={margin.top + plotHeight} className="chart-axis" />
        <text x={margin.left - 6} y={margin.top + 8} textAnchor="end" className="chart-label">
          {max}
        </text>
        <polyline className="chart-line" points={line} />
        <text x={margin.left} y={metricHeight - 8} className="chart-label">
          {formatTime(points[0]?.at)}
        </text>
        <text x={width - margin.right} y={metricHeight - 8} textAnchor="end" className="chart-label">
          {formatTime(points[points.length - 1]?.at)}
        </text>
      </svg>
    </figure>
  );
}
