import { useEffect, useRef } from 'react';
import { ErrorBanner } from '../../components/error-banner';
import { ProgressBar } from '../../components/progress-bar';
import { useWorkbench } from '../../store/store-context';
import { describeAccess, stepChoices, stepsSkippedBy } from '../../store/logic/capture-plan';
import { CaptureStepsForm } from './capture-steps-form';
import { GuestLoginFields } from './guest-login-fields';
import { ProcessPicker } from './process-picker';
import { pidsInText } from '../../store/logic/quick-listing';
import './diagnostics.css';

/**
 * The Diagnostics panel for one VM: steps, the way in (shown before running), a quick listing to pick
 * target processes from, progress with cancel, and the outcome; a finished capture opens in Review by itself.
 */
export function DiagnosticsContainer() {
  const target = useWorkbench((state) => state.captureTarget);
  const selection = useWorkbench((state) => state.captureSelection);
  const pids = useWorkbench((state) => state.capturePids);
  const access = useWorkbench((state) => state.captureAccess);
  const jobId = useWorkbench((state) => state.captureJobId);
  const job = useWorkbench((state) => state.jobs.find((candidate) => candidate.jobId === state.captureJobId));
  const outcome = useWorkbench((state) => state.captureOutcome);
  const runError = useWorkbench((state) => state.captureRunError);
  const problem = useWorkbench((state) => state.captureProblem);
  const toggle = useWorkbench((state) => state.toggleCaptureStep);
  const setPids = useWorkbench((state) => state.setCapturePids);
  const setAccess = useWorkbench((state) => state.setCaptureAccess);
  const login = useWorkbench((state) => state.captureLogin);
  const setLogin = useWorkbench((state) => state.setCaptureLogin);
  const start = useWorkbench((state) => state.startCaptureRun);
  const cancel = useWorkbench((state) => state.cancelCaptureRun);
  const close = useWorkbench((state) => state.closeCapturePanel);
  const listingJobId = useWorkbench((state) => state.listingJobId);
  const listingJob = useWorkbench((state) => state.jobs.find((candidate) => candidate.jobId === state.listingJobId));
  const listing = useWorkbench((state) => state.listing);
  const listingSearch = useWorkbench((state) => state.listingSearch);
  const listingError = useWorkbench((state) => state.listingError);
  const startListing = useWorkbench((state) => state.startQuickListing);
  const cancelListing = useWorkbench((state) => state.cancelQuickListing);
  const setListingSearch = useWorkbench((state) => state.setListingSearch);
  const togglePid = useWorkbench((state) => state.togglePickedPid);
  const heading = useRef<HTMLHeadingElement>(null);
  const targetId = target?.vm.id;

  // Opening the panel puts focus in it, so keyboard users land on what they asked for.
  useEffect(() => {
    heading.current?.focus();
  }, [targetId]);

  if (target === null) return null;
  const capturing = jobId !== null;
  const listingRunning = listingJobId !== null;
  const running = capturing || listingRunning;
  const way = describeAccess(target.vm, access, login.user.trim() !== '');
  const skipped = stepsSkippedBy(selection, way.agentless);
  const labelOf = (id: string): string => stepChoices.find((choice) => choice.id === id)?.label ?? id;

  return (
    <section
      className="panel diagnostics"
      data-testid="diagnostics-panel"
      aria-labelledby="diagnostics-heading"
      onKeyDown={(event) => {
        if (event.key === 'Escape' && !running) close();
      }}
    >
      <div className="panel-header">
        <h3 id="diagnostics-heading" className="panel-title" tabIndex={-1} ref={heading}>
          Capture {target.vm.name ?? target.vm.id}
        </h3>
        <button type="button" className="button button-quiet" data-testid="capture-close" disabled={running} onClick={close}>
          Close
        </button>
      </div>
      <p data-testid="capture-way-in">
        Way in: <strong>{way.label}</strong>. <span className="muted">{way.detail}</span> The production VM keeps running: everything
        happens in a live clone that is destroyed afterwards.
      </p>
      {skipped.length > 0 ? (
        <p className="muted" data-testid="capture-skipped-plan">
          Will be skipped: {skipped.map(labelOf).join(', ')}.
        </p>
      ) : null}
      <CaptureStepsForm selected={selection} pids={pids} access={access} disabled={running} onToggle={toggle} onPids={setPids} onAccess={setAccess} />
      {!target.vm.qgaChannel || access === 'ssh' ? <GuestLoginFields login={login} disabled={running} onChange={setLogin} /> : null}
      <div className="button-row">
        {listingRunning ? (
          <button type="button" className="button" data-testid="capture-listing-cancel" onClick={() => void cancelListing()}>
            Cancel quick listing
          </button>
        ) : (
          <button
            type="button"
            className="button"
            data-testid="capture-listing-start"
            disabled={running || way.agentless}
            aria-describedby="capture-listing-help"
            onClick={() => void startListing()}
          >
            Quick listing
          </button>
        )}{' '}
        <span id="capture-listing-help" className="muted">
          {way.agentless
            ? 'A quick listing needs a way into the clone (the guest agent, or a guest login).'
            : 'Clones the VM, lists its processes to pick targets from, and destroys the clone; the small capture stays in the case folder.'}
        </span>
      </div>
      {listingRunning ? (
        <div className="capture-progress" data-testid="capture-listing-progress" aria-live="polite">
          <ProgressBar value={listingJob?.value ?? 0} label="Quick listing progress" />
          <p>{listingJob?.step ?? 'Starting'}</p>
        </div>
      ) : null}
      {listingError ? <ErrorBanner error={listingError} /> : null}
      {listing ? (
        <ProcessPicker
          processes={listing.processes}
          search={listingSearch}
          picked={new Set(pidsInText(pids))}
          listedAt={listing.listedAt}
          disabled={running}
          onSearch={setListingSearch}
          onToggle={togglePid}
        />
      ) : null}
      {problem ? (
        <p className="capture-problem" role="alert" data-testid="capture-problem">
          {problem}
        </p>
      ) : null}
      <div className="button-row">
        {capturing ? (
          <button type="button" className="button" data-testid="capture-cancel" onClick={() => void cancel()}>
            Cancel capture
          </button>
        ) : (
          <button type="button" className="button button-primary" data-testid="capture-start" disabled={listingRunning} onClick={() => void start()}>
            Start capture
          </button>
        )}
      </div>
      {capturing ? (
        <div className="capture-progress" data-testid="capture-progress" aria-live="polite">
          <ProgressBar value={job?.value ?? 0} label="Capture progress" />
          <p data-testid="capture-step">{job?.step ?? 'Starting'}</p>
          {job?.lastLine ? <p className="muted mono">{job.lastLine}</p> : null}
        </div>
      ) : null}
      {runError ? <ErrorBanner error={runError} /> : null}
      {outcome ? (
        <div className="capture-outcome" data-testid="capture-outcome">
          <p>
            {outcome.verified ? 'Verified' : 'Not verified'}: <code>{outcome.bundlePath}</code> ({outcome.artifacts.length} artifacts, {outcome.processCount} processes,{' '}
            {outcome.findingCount} findings; clone by {outcome.strategy}).
          </p>
          {outcome.skipped.length > 0 ? (
            <ul data-testid="capture-skipped">
              {outcome.skipped.map((skip) => (
                <li key={skip.step}>
                  Skipped {labelOf(skip.step)}: {skip.reason}
                </li>
              ))}
            </ul>
          ) : null}
          {outcome.failed.length > 0 ? (
            <ul data-testid="capture-failed">
              {outcome.failed.map((failure) => (
                <li key={`${failure.step}:${failure.pid ?? ''}`}>
                  {labelOf(failure.step)}
                  {failure.pid === null ? '' : ` (pid ${failure.pid})`} failed: {failure.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
