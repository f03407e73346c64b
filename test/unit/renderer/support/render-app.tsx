import { render } from '@testing-library/react';
import type { WorkbenchApi } from '../../../../preload/api';
import { AppShell } from '../../../../renderer/src/app/app-shell';
import { ErrorBoundary } from '../../../../renderer/src/components/error-boundary';
import { createWorkbenchStore, type WorkbenchStore } from '../../../../renderer/src/store/create-workbench-store';
import { startWorkbench } from '../../../../renderer/src/store/start-workbench';
import { StoreProvider } from '../../../../renderer/src/store/store-context';

/** Renders the whole app over a contract, wired as at start-up. */
export function renderApp(
  api: WorkbenchApi,
  options: { onConnectionLost?: (listener: () => void) => () => void; onReconnected?: (listener: () => void) => () => void } = {},
) {
  const store: WorkbenchStore = createWorkbenchStore(api);
  const stop = startWorkbench(store, {
    api,
    onConnectionLost: options.onConnectionLost ?? (() => () => undefined),
    onReconnected: options.onReconnected ?? (() => () => undefined),
  });
  const view = render(
    <ErrorBoundary>
      <StoreProvider store={store}>
        <AppShell onReload={() => undefined} />
      </StoreProvider>
    </ErrorBoundary>,
  );
  return { ...view, store, stop };
}
