import { useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ErrorBanner } from '../../components/error-banner';
import { useWorkbench } from '../../store/store-context';
import { DropZone } from './drop-zone';
import { PathEntryForm } from './path-entry-form';
import { RecentCapturesList } from './recent-captures-list';

/** The first screen: open the sample, pick or drop a capture, or reopen a recent one. */
export function WelcomeContainer() {
  const { recent, status, error, pathEntryVisible } = useWorkbench(
    useShallow((state) => ({
      recent: state.recent,
      status: state.captureStatus,
      error: state.captureError,
      pathEntryVisible: state.pathEntryVisible,
    })),
  );
  const actions = useWorkbench(
    useShallow((state) => ({
      openSample: state.openSampleCapture,
      pick: state.pickAndOpenCapture,
      open: state.openCapture,
      openDropped: state.openDroppedFile,
      hidePathEntry: state.hidePathEntry,
      dismissError: state.dismissCaptureError,
    })),
  );
  const openButton = useRef<HTMLButtonElement>(null);
  const busy = status === 'opening';
  const closePathEntry = (): void => {
    actions.hidePathEntry();
    openButton.current?.focus();
  };

  return (
    <div className="welcome">
      <section className="welcome-intro">
        <h2 className="welcome-title">Review a capture</h2>
        <p className="welcome-lead">
          A capture holds what diagnostics saw inside a live clone of a production VM: processes, findings
          and the provenance of every artifact, each verified against its recorded SHA-256 before you see it.
        </p>
      </section>
      {error ? <ErrorBanner error={error} onDismiss={actions.dismissError} /> : null}
      <div className="welcome-grid">
        <section className="panel welcome-actions" aria-label="Open a capture">
          <div className="button-row">
            <button
              type="button"
              className="button button-primary"
              data-testid="open-sample"
              disabled={busy}
              onClick={() => void actions.openSample()}
            >
              Open the sample capture
            </button>
            <button
              type="button"
              ref={openButton}
              className="button"
              data-testid="open-capture"
              disabled={busy}
              onClick={() => void actions.pick()}
            >
              Open capture…
            </button>
          </div>
          {pathEntryVisible ? (
            <PathEntryForm busy={busy} onOpen={(path) => void actions.open(path)} onClose={closePathEntry} />
          ) : null}
          <DropZone disabled={busy} onFile={(file) => void actions.openDropped(file)} />
          {busy ? (
            <p className="muted" role="status">
              Opening and verifying the capture…
            </p>
          ) : null}
        </section>
        <section className="panel" aria-labelledby="recent-heading">
          <h3 id="recent-heading" className="panel-title">
            Recent captures
          </h3>
          <RecentCapturesList captures={recent} disabled={busy} onOpen={(path) => void actions.open(path)} />
        </section>
      </div>
    </div>
  );
}
