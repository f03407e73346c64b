import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { JobKind } from '../../../../preload/api';
import { ErrorBanner } from '../../components/error-banner';
import { formatTime } from '../../components/format';
import { moveFocusInList } from '../../components/list-keyboard';
import { ProgressBar } from '../../components/progress-bar';
import { useNow } from '../../components/use-now';
import { liveTwins } from '../../store/logic/twins';
import { useWorkbench } from '../../store/store-context';
import { TwinTimes, type HostTwin } from './twin-times';

/** What each kind of job is called in the list. */
export const jobKindLabels: Readonly<Record<JobKind, string>> = {
  'open-capture': 'Open capture',
  'verify-capture': 'Verify capture',
  'connect-host': 'Connect',
  clone: 'Clone',
  collect: 'Collect',
  capture: 'Capture',
  twin: 'Twin',
  experiment: 'Experiment',
};

/** The live twins of the connected hosts, with their hosts' aliases, for the Jobs view. */
function TwinTimesContainer() {
  const { hosts, sessionStates, twinsByHost } = useWorkbench(
    useShallow((state) => ({ hosts: state.hosts, sessionStates: state.sessionStates, twinsByHost: state.twins })),
  );
  const twins = useMemo(
    () =>
      hosts.flatMap((host): HostTwin[] =>
        sessionStates[host.id] === 'connected' ? liveTwins(twinsByHost[host.id]).map((twin) => ({ hostAlias: host.alias, twin })) : [],
      ),
    [hosts, sessionStates, twinsByHost],
  );
  const nowMs = useNow();
  return <TwinTimes twins={twins} nowMs={nowMs} />;
}

/** Every job with its progress, step and state; running jobs can be cancelled. */
export function JobsContainer() {
  const jobs = useWorkbench((state) => state.jobs);
  const error = useWorkbench((state) => state.jobsError);
  const cancelJob = useWorkbench((state) => state.cancelJob);
  return (
    <div className="jobs">
      {error ? <ErrorBanner error={error} /> : null}
      <TwinTimesContainer />
      {jobs.length === 0 ? (
        <section className="panel">
          <p className="muted">
            No jobs yet. Opening a capture, connecting to a host, cloning a VM, starting a twin and running an
            experiment each run as a job you can follow and cancel here.
          </p>
        </section>
      ) : (
        <ul className="job-list" aria-label="Jobs" onKeyDown={moveFocusInList}>
          {jobs.map((job) => (
            <li key={job.jobId} className={`job job-${job.state}`} data-testid="job-item" data-state={job.state}>
              <div className="job-head">
                <span className="job-title" tabIndex={0} data-list-item>
                  {job.title}
                </span>
                <span className="badge badge-small" data-testid="job-kind" data-kind={job.kind}>
                  {jobKindLabels[job.kind]}
                </span>
                <span className={`job-state job-state-${job.state}`}>{job.state}</span>
                {job.state === 'running' ? (
                  <button type="button" className="button button-small" onClick={() => void cancelJob(job.jobId)}>
                    Cancel
                  </button>
                ) : null}
              </div>
              <ProgressBar value={job.value} label={job.title} />
              <div className="job-meta">
                <span>{job.step}</span>
                <span className="muted mono">
                  {formatTime(job.startedAt)}
                  {job.endedAt ? ` → ${formatTime(job.endedAt).replace(' UTC', '')}` : ''}
                </span>
              </div>
              {job.lastLine ? <pre className="job-last-line">{job.lastLine}</pre> : null}
              {job.error ? <ErrorBanner error={job.error} /> : null}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
