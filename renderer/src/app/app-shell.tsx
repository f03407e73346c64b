import { useEffect, useRef } from 'react';
import { ErrorBanner } from '../components/error-banner';
import { connectionLostResult } from '../api/connection-lost';
import { HostsContainer } from '../features/hosts/hosts-container';
import { ExperimentsContainer } from '../features/experiments/experiments-container';
import { JobsContainer } from '../features/jobs/jobs-container';
import { ReviewContainer } from '../features/review/review-container';
import { WizardsView } from '../features/wizards/wizards-view';
import { SettingsContainer } from '../features/settings/settings-container';
import { countRunningJobs } from '../store/logic/apply-job-progress';
import { useWorkbench } from '../store/store-context';
import type { View } from '../store/ui-slice';
import { NavBar, viewLabels } from './nav-bar';
import { viewForShortcut } from './view-shortcut';

/** The window: title bar, left navigation, connection banner and the current view. */
export function AppShell({ onReload }: { onReload?: () => void }) {
  const view = useWorkbench((state) => state.view);
  const showView = useWorkbench((state) => state.showView);
  const runningJobs = useWorkbench((state) => countRunningJobs(state.jobs));
  const appInfo = useWorkbench((state) => state.appInfo);
  const connectionLost = useWorkbench((state) => state.connectionLost);
  const heading = useRef<HTMLHeadingElement>(null);
  const firstView = useRef(true);

  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      const target = viewForShortcut(event);
      if (target === null) return;
      event.preventDefault();
      showView(target);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [showView]);

  // A file dropped outside the drop zone would otherwise make the browser navigate to it, leaving the app.
  useEffect(() => {
    const refuse = (event: DragEvent): void => {
      if (!event.defaultPrevented) event.preventDefault();
    };
    window.addEventListener('dragover', refuse);
    window.addEventListener('drop', refuse);
    return () => {
      window.removeEventListener('dragover', refuse);
      window.removeEventListener('drop', refuse);
    };
  }, []);

  // Moving to another view puts focus on its heading, so keyboard and screen reader users land there.
  useEffect(() => {
    if (firstView.current) {
      firstView.current = false;
      return;
    }
    heading.current?.focus();
  }, [view]);

  const reload = onReload ?? (() => window.location.reload());
  const lost = connectionLostResult.ok ? null : connectionLostResult.error;

  return (
    <div className="shell">
      <header className="titlebar">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Civic Workbench
        </span>
        {appInfo ? (
          <span className="titlebar-meta muted">
            v{appInfo.version} · {appInfo.transport === 'web' ? 'web mode' : 'desktop'}
          </span>
        ) : null}
      </header>
      <NavBar current={view} runningJobs={runningJobs} onShow={showView} />
      <main className="content">
        {connectionLost && lost ? (
          <ErrorBanner
            error={lost}
            action={
              <button type="button" className="button button-primary" onClick={reload}>
                Reload
              </button>
            }
          />
        ) : null}
        <h1 className="view-heading" tabIndex={-1} ref={heading}>
          {viewLabels[view]}
        </h1>
        <CurrentView view={view} />
      </main>
    </div>
  );
}

function CurrentView({ view }: { view: View }) {
  switch (view) {
    case 'hosts':
      return <HostsContainer />;
    case 'jobs':
      return <JobsContainer />;
    case 'review':
      return <ReviewContainer />;
    case 'experiments':
      return <ExperimentsContainer />;
    case 'wizards':
      return <WizardsView />;
    case 'settings':
      return <SettingsContainer />;
  }
}
