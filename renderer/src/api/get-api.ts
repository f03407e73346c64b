import type { Unsubscribe, WorkbenchApi } from '../../../preload/api';
import { createWebAdapter } from './web-adapter';

/** The contract and word of its transport being lost and back (only web mode can lose it). */
export interface ApiConnection {
  readonly api: WorkbenchApi;
  onConnectionLost(listener: () => void): Unsubscribe;
  /** After a loss, the transport is back; events sent meanwhile were missed. */
  onReconnected(listener: () => void): Unsubscribe;
}

let connection: ApiConnection | undefined;

/** The one connection of this page: the Electron preload when present, else the web adapter. */
export function getApiConnection(): ApiConnection {
  if (connection) return connection;
  const preload = window.workbench;
  connection = preload ? { api: preload, onConnectionLost: () => () => undefined, onReconnected: () => () => undefined } : createWebAdapter();
  return connection;
}

/** The contract for this page: `window.workbench` under Electron, a web-socket adapter in a browser. */
export function getApi(): WorkbenchApi {
  return getApiConnection().api;
}
