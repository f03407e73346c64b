import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ErrorBanner } from '../../components/error-banner';
import { ExperimentReportView } from '../../components/experiment-report-view';
import { ProgressBar } from '../../components/progress-bar';
import { experimentTargetOf, liveTwins } from '../../store/logic/twins';
import { useWorkbench } from '../../store/store-context';
import { AgentsForm } from './agents-form';
import { TuningForm } from './tuning-form';
import './experiments.css';

/**
 * The Experiments view: pick a connected host and one of its live twins, then tune a service on it
 * or run monitoring agents; progress comes through the job, and the report shows when it ends.
 */
export function ExperimentsContainer() {
  const { hosts, sessionStates, twinsByHost, profiles, chosen, jobId, outcome, error } = useWorkbench(
    useShallow((state) => ({
      hosts: state.hosts,
      sessionStates: state.sessionStates,
      twinsByHost: state.twins,
      profiles: state.serviceProfiles,
      chosen: state.experimentTarget,
      jobId: state.experimentJobId,
      outcome: state.experimentOutcome,
      error: state.experimentError,
    })),
  );
  const job = useWorkbench((state) => state.jobs.find((candidate) => candidate.jobId === state.experimentJobId));
  const actions = useWorkbench(
    useShallow((state) => ({
      loadProfiles: state.loadServiceProfiles,
      select: state.selectExperimentTarget,
      startTuning: state.startTuningRun,
      startAgents: state.startAgentsRun,
      cancel: state.cancelExperiment,
      openBundle: state.openExperimentBundle,
      dismissError: state.dismissExperimentError,
      showView: state.showView,
    })),
  );

  useEffect(() => {
    if (profiles === null) void actions.loadProfiles();
  }, [profiles, actions]);

  const connectedHosts = hosts.filter((host) => sessionStates[host.id] === 'connected');
  const target = experimentTargetOf(
    chosen,
    connectedHosts.map((host) => host.id),
    twinsByHost,
    jobId !== null,
  );
  const hostId = target?.hostId ?? connectedHosts[0]?.id ?? '';
  const twinsOfHost = liveTwins(twinsByHost[hostId]);
  const running = jobId !== null;

  if (connectedHosts.length === 0) {
    return (
      <div className="experiments">
        <section className="panel notice" data-testid="experiments-no-host">
          <h3 className="panel-title">Experiments run on a twin</h3>
          <p>
            Connect to a KVM host and start a twin (a live clone under a lease) of the VM to experiment on.{' '}
            <button type="button" className="link-button" data-testid="experiment-go-hosts" onClick={() => actions.showView('hosts')}>
              Go to Hosts
            </button>
          </p>
        </section>
      </div>
    );
  }

  return (
    <div className="experiments">
      <section className="panel experiment-target" aria-label="Twin to experiment on">
        <div className="experiment-form-grid">
          <label className="form-field">
            <span>Host</span>
            <select
              className="input"
              data-testid="experiment-host"
              value={hostId}
              disabled={running}
              onChange={(event) => {
                const first = liveTwins(twinsByHost[event.target.value])[0];
                actions.select(first === undefined ? null : { hostId: event.target.value, twinId: first.twinId });
              }}
            >
              {connectedHosts.map((host) => (
                <option key={host.id} value={host.id}>
                  {host.alias}
                </option>
              ))}
            </select>
          </label>
          {twinsOfHost.length > 0 ? (
            <label className="form-field">
              <span>Twin</span>
              <select
                className="input"
                data-testid="experiment-twin"
                value={target?.twinId ?? ''}
                disabled={running}
                onChange={(event) => actions.select({ hostId, twinId: event.target.value })}
              >
                {twinsOfHost.map((twin) => (
                  <option key={twin.twinId} value={twin.twinId}>
                    {twin.vmName ?? twin.vmId} ({twin.twinId})
                  </option>
                ))}
              </select>
            </label>
          ) : null}
        </div>
        {twinsOfHost.length === 0 ? (
          <p data-testid="experiments-no-twin">
            No live twin on this host.{' '}
            <button type="button" className="link-button" data-testid="experiment-go-hosts" onClick={() => actions.showView('hosts')}>
              Start a twin from a VM in Hosts
            </button>
          </p>
        ) : null}
      </section>
      {error ? <ErrorBanner error={error} onDismiss={actions.dismissError} /> : null}
      {running ? (
        <section className="panel experiment-progress" data-testid="experiment-progress" aria-live="polite">
          <ProgressBar value={job?.value ?? 0} label="Experiment progress" />
          <p data-testid="experiment-step">{job?.step ?? 'Starting'}</p>
          {job?.lastLine ? <p className="muted mono">{job.lastLine}</p> : null}
          <div className="button-row">
            <button type="button" className="button" data-testid="experiment-cancel" onClick={() => void actions.cancel()}>
              Cancel
            </button>
          </div>
        </section>
      ) : null}
      {outcome ? (
        <section className="panel experiment-outcome" data-testid="experiment-outcome">
          <div className="panel-header">
            <p>
              {outcome.verified ? 'Verified' : 'Not verified'}: <code>{outcome.bundlePath}</code>
            </p>
            <button type="button" className="button" data-testid="experiment-open-review" onClick={() => void actions.openBundle()}>
              Open in Review
            </button>
          </div>
          <ExperimentReportView report={outcome.report} />
        </section>
      ) : null}
      {target !== null ? (
        <div className="experiment-forms">
          {profiles === null ? (
            <p className="muted">Loading service profiles…</p>
          ) : (
            <TuningForm key={`${target.hostId}:${target.twinId}`} profiles={profiles} disabled={running} target={target} onStart={(request) => void actions.startTuning(request)} />
          )}
          <AgentsForm key={`agents:${target.hostId}:${target.twinId}`} disabled={running} target={target} onStart={(request) => void actions.startAgents(request)} />
        </div>
      ) : null}
    </div>
  );
}
