import type { Estimate, Series } from '../../../preload/api';
import { formatEstimate, formatMeasure } from './experiment-format';

// Hand-drawn SVG, like the Timeline's: only numbers and strings React writes as text nodes reach it.

const intervalWidth = 560;
const intervalHeight = 78;
const intervalMargin = { left: 64, right: 16, top: 8, bottom: 22 };

/** One track of an interval chart: a median dot with a whisker from low to high. */
function IntervalTrack({ label, unit, estimate, max, x, y, width }: { label: string; unit: string; estimate: Estimate | null; max: number; x: number; y: number; width: number }) {
  const scale = (value: number): number => x + (Math.max(0, value) / max) * width;
  return (
    <g>
      <text x={x - 6} y={y + 4} textAnchor="end" className="chart-label">
        {label}
      </text>
      <line x1={x} y1={y + 12} x2={x + width} y2={y + 12} className="chart-axis" />
      <text x={x} y={y + 22} className="chart-label">
        0
      </text>
      <text x={x + width} y={y + 22} textAnchor="end" className="chart-label">
        {`${formatMeasure(max)} ${unit}`}
      </text>
      {estimate === null ? (
        <text x={x + 4} y={y + 4} className="chart-label">
          not measured
        </text>
      ) : (
        <>
          <line x1={scale(estimate.low)} y1={y} x2={scale(estimate.high)} y2={y} className="chart-whisker" />
          <line x1={scale(estimate.low)} y1={y - 4} x2={scale(estimate.low)} y2={y + 4} className="chart-whisker" />
          <line x1={scale(estimate.high)} y1={y - 4} x2={scale(estimate.high)} y2={y + 4} className="chart-whisker" />
          <circle cx={scale(estimate.median)} cy={y} r={4} className="chart-dot">
            <title>{formatEstimate(estimate, unit)}</title>
          </circle>
        </>
      )}
    </g>
  );
}

/**
 * One candidate value's throughput and p95 latency as dot-and-whisker tracks (median, 95 % interval).
 *
 * `maxThroughput` and `maxP95` are shared by every value's chart, so the charts compare by eye.
 */
export function IntervalChart({
  value,
  throughput,
  p95Ms,
  maxThroughput,
  maxP95,
}: {
  value: string;
  throughput: Estimate | null;
  p95Ms: Estimate | null;
  maxThroughput: number;
  maxP95: number;
}) {
  const plotWidth = (intervalWidth - intervalMargin.left - intervalMargin.right - 40) / 2;
  const secondLeft = intervalMargin.left + plotWidth + 40 + 24;
  const summary = `${value}: throughput ${formatEstimate(throughput, 'req/s')}, p95 latency ${formatEstimate(p95Ms, 'ms')}`;
  return (
    <figure className="experiment-chart" data-testid="tuning-chart" data-value={value}>
      <figcaption className="experiment-chart-caption mono">{value}</figcaption>
      <svg className="chart" viewBox={`0 0 ${intervalWidth} ${intervalHeight}`} role="img" aria-label={summary}>
        <IntervalTrack label="req/s" unit="req/s" estimate={throughput} max={Math.max(1, maxThroughput)} x={intervalMargin.left} y={intervalMargin.top + 18} width={plotWidth - 24} />
        <IntervalTrack label="p95 ms" unit="ms" estimate={p95Ms} max={Math.max(1, maxP95)} x={secondLeft} y={intervalMargin.top + 18} width={plotWidth - 24} />
        <text x={intervalMargin.left} y={intervalHeight - 4} className="chart-label">
          throughput (requests per second, higher is better)
        </text>
        <text x={secondLeft} y={intervalHeight - 4} className="chart-label">
          p95 latency (milliseconds, lower is better)
        </text>
      </svg>
    </figure>
  );
}

const seriesWidth = 560;
const seriesHeight = 130;
const seriesMargin = { left: 56, right: 14, top: 10, bottom: 30 };

/** The points of a series as an SVG polyline within the plot, time from the first point. */
export function seriesGeometry(series: Series, plot: { readonly width: number; readonly height: number }) {
  const finite = series.points.filter(([at, value]) => Number.isFinite(at) && Number.isFinite(value));
  const first = finite[0]?.[0] ?? 0;
  const last = finite[finite.length - 1]?.[0] ?? first;
  const span = Math.max(1, last - first);
  const values = finite.map(([, value]) => value);
  const max = values.length === 0 ? 1 : Math.max(...values);
  const min = values.length === 0 ? 0 : Math.min(0, ...values);
  const range = Math.max(Number.EPSILON, max - min);
  const line = finite
    .map(([at, value]) => `${(((at - first) / span) * plot.width).toFixed(1)},${(plot.height - ((value - min) / range) * plot.height).toFixed(1)}`)
    .join(' ');
  return { line, min, max, seconds: (last - first) / 1000, count: finite.length };
}

/** One series over time: a line, time in seconds from its start on the x axis, its unit on the y axis. */
export function SeriesChart({ series }: { series: Series }) {
  const plot = { width: seriesWidth - seriesMargin.left - seriesMargin.right, height: seriesHeight - seriesMargin.top - seriesMargin.bottom };
  const geometry = seriesGeometry(series, plot);
  const unit = series.unit === '' ? 'value' : series.unit;
  const label =
    geometry.count === 0
      ? `${series.name}: no samples`
      : `${series.name} in ${unit} over ${formatMeasure(geometry.seconds)} s: ${geometry.count} samples from ${formatMeasure(geometry.min)} to ${formatMeasure(geometry.max)}`;
  return (
    <figure className="experiment-chart" data-testid="series-chart" data-series={series.name}>
      <figcaption className="experiment-chart-caption">
        <span className="mono">{series.name}</span> <span className="muted">({unit})</span>
      </figcaption>
      <svg className="chart" viewBox={`0 0 ${seriesWidth} ${seriesHeight}`} role="img" aria-label={label}>
        <line x1={seriesMargin.left} y1={seriesMargin.top + plot.height} x2={seriesMargin.left + plot.width} y2={seriesMargin.top + plot.height} className="chart-axis" />
        <line x1={seriesMargin.left} y1={seriesMargin.top} x2={seriesMargin.left} y2={seriesMargin.top + plot.height} className="chart-axis" />
        <text x={seriesMargin.left - 6} y={seriesMargin.top + 8} textAnchor="end" className="chart-label">
          {formatMeasure(geometry.max)}
        </text>
        <text x={seriesMargin.left - 6} y={seriesMargin.top + plot.height} textAnchor="end" className="chart-label">
          {formatMeasure(geometry.min)}
        </text>
        <text x={12} y={seriesMargin.top + plot.height / 2} className="chart-label" transform={`rotate(-90 12 ${seriesMargin.top + plot.height / 2})`} textAnchor="middle">
          {unit}
        </text>
        <g transform={`translate(${seriesMargin.left} ${seriesMargin.top})`}>
          <polyline className="chart-line" points={geometry.line} />
        </g>
        <text x={seriesMargin.left} y={seriesHeight - 14} className="chart-label">
          0 s
        </text>
        <text x={seriesMargin.left + plot.width} y={seriesHeight - 14} textAnchor="end" className="chart-label">
          {`${formatMeasure(geometry.seconds)} s`}
        </text>
        <text x={seriesMargin.left + plot.width / 2} y={seriesHeight - 2} textAnchor="middle" className="chart-label">
          seconds from start
        </text>
      </svg>
    </figure>
  );
}
