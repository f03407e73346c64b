import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { getApiConnection } from './api/get-api';
import { AppShell } from './app/app-shell';
import { ErrorBoundary } from './components/error-boundary';
import { createWorkbenchStore } from './store/create-workbench-store';
import { startWorkbench } from './store/start-workbench';
import { StoreProvider } from './store/store-context';
import './styles/theme.css';
import './styles/shell.css';
import './styles/components.css';
import './styles/review.css';

const connection = getApiConnection();
const store = createWorkbenchStore(connection.api);
// Wired here, once, rather than in an effect: StrictMode runs effects twice in development.
startWorkbench(store, connection);

const container = document.getElementById('root');
if (!container) throw new Error('index.html lacks the #root element.');
createRoot(container).render(
  <StrictMode>
    <ErrorBoundary>
      <StoreProvider store={store}>
        <AppShell />
      </StoreProvider>
    </ErrorBoundary>
  </StrictMode>,
);
