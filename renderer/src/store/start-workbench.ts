import type { SessionStateEvent } from '../../../preload/api';
import type { ApiConnection } from '../api/get-api';
import type { WorkbenchStore } from './create-workbench-store';

/**
 * Wires the service's events into the store and loads the first data. Call once at start-up.
 *
 * Returns a function that removes the subscriptions (tests, hot reload).
 */
export function startWorkbench(store: WorkbenchStore, connection: ApiConnection): () => void {
  const state = store.getState();
  const subscriptions = [
    connection.api.onJobProgress((event) => store.getState().receiveJobProgress(event)),
    connection.api.onJobProgress((event) => void store.getState().receiveCaptureProgress(event)),
    connection.api.onJobProgress((event) => void store.getState().receiveExperimentProgress(event)),
    connection.api.onSessionState((event) => {
      store.getState().receiveSessionState(event);
      followTwinsOfSession(store, event);
    }),
    connection.api.onTwinsChanged((event) => store.getState().receiveTwinsChanged(event)),
    connection.api.onHostKeyPrompt((event) => store.getState().receiveHostKeyPrompt(event)),
    connection.api.onSecretPrompt((event) => store.getState().receiveSecretPrompt(event)),
    connection.api.onHostNotice((event) => store.getState().receiveHostNotice(event)),
    connection.onConnectionLost(() => store.getState().markConnectionLost()),
    connection.onReconnected(() => void resyncWithService(store)),
  ];
  void state.loadAppInfo();
  void state.loadJobs();
  // The service may already hold hosts connected (a reload, a second tab): take their state from it.
  void state.loadSessions().then(() => loadTwinsOfConnectedHosts(store));
  void state.loadRecentCaptures();
  void state.openLaunchCapture();
  void state.loadHosts().then(() => {
    const loaded = store.getState();
    // With hosts configured the natural first screen is the host list, unless the user already moved.
    if (!loaded.viewChosen && loaded.hosts.length > 0 && loaded.overview === null) {
      store.setState({ view: 'hosts' });
    }
  });
  return () => {
    for (const unsubscribe of subscriptions) unsubscribe();
  };
}

/**
 * Re-reads what events would have kept current, after the web socket came back.
 *
 * Events sent while it was down are lost for good, so the page asks the service again: hosts and
 * their sessions and twins, jobs, recent captures.
 */
export async function resyncWithService(store: WorkbenchStore): Promise<void> {
  const state = store.getState();
  state.markConnectionRestored();
  await Promise.all([state.loadHosts(), state.loadSessions().then(() => loadTwinsOfConnectedHosts(store)), state.loadJobs(), state.loadRecentCaptures(), state.loadAppInfo()]);
}

/** A host that connects gets its twins listed; one that disconnects has none known any more. */
function followTwinsOfSession(store: WorkbenchStore, event: SessionStateEvent): void {
  if (event.state === 'connected') void store.getState().loadTwins(event.hostId);
  else if (event.state === 'disconnected') store.getState().forgetTwins(event.hostId);
}

/** Lists the twins of every host the service holds connected (a new page, a socket back). */
async function loadTwinsOfConnectedHosts(store: WorkbenchStore): Promise<void> {
  const { sessionStates, loadTwins } = store.getState();
  const connected = Object.entries(sessionStates).filter(([, state]) => state === 'connected');
  await Promise.all(connected.map(([hostId]) => loadTwins(hostId)));
}
