import { useEffect, useState } from 'react';
import type { ExperimentReport, TuningRow } from '../../../preload/api';
import { IntervalChart, SeriesChart } from './experiment-charts';
import { describeLoad, formatErrorShare, formatEstimate, formatMeasure, productionRatio } from './experiment-format';

type TuningReport = Extract<ExperimentReport, { kind: 'tuning' }>;
type AgentsReport = Extract<ExperimentReport, { kind: 'agents' }>;

/** The sentence every tuning report carries: the product measures on the twin and changes nothing else. */
export const neverAppliedSentence = 'Apply this to production yourself: Civic Workbench never changes production.';

const confidenceWords: Readonly<Record<'clear' | 'likely' | 'unclear', string>> = {
  clear: 'clear',
  likely: 'likely',
  unclear: 'unclear',
};

/** The result of an experiment: a tuning table with charts and the diff, or each agent's series. */
export function ExperimentReportView({ report }: { report: ExperimentReport }) {
  return (
    <section className="experiment-report" data-testid="experiment-report" data-kind={report.kind} aria-label="Experiment report">
      {report.kind === 'tuning' ? <TuningReportView report={report} /> : <AgentsReportView report={report} />}
    </section>
  );
}

/** A text block with a Copy button that says "Copied" once the clipboard took it. */
function CopyButton({ text, testId, label }: { text: string; testId: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return undefined;
    const timer = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <span className="copy-control">
      <button type="button" className="button button-small" data-testid={testId} aria-label={label} onClick={() => void copy()}>
        Copy
      </button>
      <span role="status" className="muted" data-testid={`${testId}-status`}>
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Could not copy: select the text instead.' : ''}
      </span>
    </span>
  );
}

function StatusCell({ row }: { row: TuningRow }) {
  if (row.status === 'ok') return <span className="badge badge-small badge-ok">ok</span>;
  return (
    <span className="tuning-failed">
      <span className="badge badge-small badge-danger">failed</span>{' '}
      {row.failure ? (
        <span className="break" data-testid="tuning-failure">
          {row.failure}
        </span>
      ) : null}
    </span>
  );
}

function TuningReportView({ report }: { report: TuningReport }) {
  const recommended = report.recommended;
  const maxThroughput = Math.max(1, ...report.rows.map((row) => row.throughput?.high ?? 0));
  const maxP95 = Math.max(1, ...report.rows.map((row) => row.p95Ms?.high ?? 0));
  const ratio = productionRatio(report.production);
  return (
    <>
      <header className="experiment-report-header">
        <h3 className="panel-title">
          Tuning <span className="mono">{report.parameter}</span> of {report.service}
        </h3>
        <p className="muted">
          In <span className="mono">{report.configPath}</span>
          {report.originalValue === null ? ', not set before' : (
            <>
              , originally <span className="mono">{report.originalValue}</span>
            </>
          )}
          . {report.repetitions} repetitions per value, interleaved; {describeLoad(report.load)}
        </p>
      </header>
      {recommended === null ? (
        <p className="notice experiment-recommendation" data-testid="tuning-recommendation" data-value="">
          No value ran cleanly: there is nothing to recommend.
        </p>
      ) : (
        <p className="notice experiment-recommendation" data-testid="tuning-recommendation" data-value={recommended.value} data-confidence={recommended.confidence}>
          Recommended: <strong className="mono">{recommended.value}</strong>{' '}
          <span className={`badge badge-small confidence-${recommended.confidence}`} data-testid="tuning-confidence">
            {confidenceWords[recommended.confidence]}
          </span>{' '}
          <span data-testid="tuning-reason">{recommended.reason}</span>
        </p>
      )}
      <table className="data-table tuning-table" data-testid="tuning-table">
        <caption className="muted">Medians across repetitions, with their 95 % intervals.</caption>
        <thead>
          <tr>
            <th scope="col">Value</th>
            <th scope="col">Status</th>
            <th scope="col">Throughput</th>
            <th scope="col">p95</th>
            <th scope="col">p99</th>
            <th scope="col">Errors / requests</th>
          </tr>
        </thead>
        <tbody>
          {report.rows.map((row) => {
            const isRecommended = recommended !== null && recommended.value === row.value;
            return (
              <tr
                key={row.value}
                className={isRecommended ? 'tuning-row-recommended' : row.status === 'failed' ? 'tuning-row-failed' : undefined}
                data-testid="tuning-row"
                data-value={row.value}
                data-status={row.status}
                data-recommended={isRecommended ? 'true' : undefined}
                aria-label={isRecommended ? `${row.value}, recommended` : row.value}
              >
                <th scope="row" className="mono">
                  {row.value}
                  {isRecommended ? <span className="visually-hidden"> (recommended)</span> : null}
                  {isRecommended ? (
                    <span className="tuning-mark" aria-hidden="true">
                      {' '}
                      ★
                    </span>
                  ) : null}
                </th>
                <td>
                  <StatusCell row={row} />
                </td>
                <td className="mono" data-testid="tuning-throughput">
                  {formatEstimate(row.throughput, 'req/s')}
                </td>
                <td className="mono" data-testid="tuning-p95">
                  {formatEstimate(row.p95Ms, 'ms')}
                </td>
                <td className="mono" data-testid="tuning-p99">
                  {formatEstimate(row.p99Ms, 'ms')}
                </td>
                <td className="mono" data-testid="tuning-errors">
                  {formatErrorShare(row.errors, row.requests)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="experiment-charts">
        {report.rows.map((row) => (
          <IntervalChart key={row.value} value={row.value} throughput={row.throughput} p95Ms={row.p95Ms} maxThroughput={maxThroughput} maxP95={maxP95} />
        ))}
      </div>
      {report.production !== null ? (
        <p data-testid="tuning-production">
          Production on its own: {report.production.aloneRps === null ? '—' : `${formatMeasure(report.production.aloneRps)} req/s`}; during the experiment:{' '}
          {report.production.duringRps === null ? '—' : `${formatMeasure(report.production.duringRps)} req/s`}
          {ratio === null ? '' : ` (${(ratio * 100).toFixed(0)} % of its own)`}.
        </p>
      ) : null}
      <h4 className="subheading">Configuration change</h4>
      <div className="experiment-diff-actions">
        <CopyButton text={report.diff} testId="tuning-diff-copy" label="Copy the configuration diff" />
      </div>
      <pre className="experiment-diff" data-testid="tuning-diff" tabIndex={0} aria-label="Configuration diff">
        {report.diff === '' ? '(no change: the recommended value is the original)' : report.diff}
      </pre>
      <p className="experiment-never-applied" data-testid="tuning-never-applied">
        {neverAppliedSentence}
      </p>
    </>
  );
}

function AgentsReportView({ report }: { report: AgentsReport }) {
  if (report.agents.length === 0) return <p className="muted">No agent ran.</p>;
  return (
    <>
      {report.agents.map((agent) => (
        <section key={agent.agent} className="agent-report" data-testid="agent-report" data-agent={agent.agent} aria-label={agent.title}>
          <h3 className="panel-title">{agent.title}</h3>
          {agent.error !== undefined ? (
            <p className="banner banner-warning" data-testid="agent-error">
              {agent.error}
            </p>
          ) : null}
          {agent.series.length === 0 && agent.error === undefined ? <p className="muted">No series came back.</p> : null}
          <div className="experiment-charts">
            {agent.series.map((series) => (
              <SeriesChart key={series.name} series={series} />
            ))}
          </div>
        </section>
      ))}
    </>
  );
}
