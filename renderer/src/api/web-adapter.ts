import type {
  Result,
  Unsubscribe,
  WorkbenchApi,
  WorkbenchEvents,
} from '../../../preload/api';
import { connectionLostResult } from './connection-lost';
import type { WebSocketRequestName } from './method-names';

/** The part of a browser `WebSocket` the adapter uses, so tests can hand in a fake. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'message', listener: (event: { readonly data?: unknown }) => void): void;
}

/** How the web adapter reaches the service; every field defaults to the browser's own. */
export interface WebAdapterOptions {
  readonly url?: string;
  readonly openSocket?: (url: string) => SocketLike;
  readonly fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

/** The contract over a web socket, plus word of the socket closing (for the banner). */
export interface WebAdapter {
  readonly api: WorkbenchApi;
  /** Called once when the socket closes; pending and later requests resolve to CONNECTION_LOST. */
  onConnectionLost(listener: () => void): Unsubscribe;
}

type ArgsOf<K extends WebSocketRequestName> = Parameters<WorkbenchApi[K]> extends [infer A] ? A : null;
type ResultOf<K extends WebSocketRequestName> = Awaited<ReturnType<WorkbenchApi[K]>>;

const OPEN = 1;

/** The service's socket address, beside the page that was served. */
export function defaultSocketUrl(location: { readonly protocol: string; readonly host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api`;
}

/**
 * Creates the web-mode adapter: the same contract as the Electron preload, carried over one socket.
 *
 * Requests made before the socket opens wait in a queue. Responses are matched to requests by id;
 * events fan out to their listeners. No method holds logic: the server answers every one.
 */
export function createWebAdapter(options: WebAdapterOptions = {}): WebAdapter {
  const url = options.url ?? defaultSocketUrl(window.location);
  const socket = (options.openSocket ?? ((address: string) => new WebSocket(address)))(url);
  const fetchImpl = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));

  let nextId = 1;
  let closed = false;
  const queue: string[] = [];
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners: { [E in keyof WorkbenchEvents]: Set<(payload: WorkbenchEvents[E]) => void> } = {
    jobProgress: new Set(),
    sessionState: new Set(),
    hostKeyPrompt: new Set(),
    secretPrompt: new Set(),
    hostNotice: new Set(),
  };
  const lostListeners = new Set<() => void>();

  socket.addEventListener('open', () => {
    for (const message of queue.splice(0)) socket.send(message);
  });
  socket.addEventListener('message', (event) => dispatch(event.data));
  socket.addEventListener('close', () => {
    if (closed) return;
    closed = true;
    queue.length = 0;
    for (const resolve of pending.values()) resolve(connectionLostResult);
    pending.clear();
    for (const listener of lostListeners) listener();
  });

  function dispatch(data: unknown): void {
    const message = parseMessage(data);
    if (message === undefined) return;
    if (message.type === 'response') {
      const resolve = pending.get(message.id);
      pending.delete(message.id);
      resolve?.(message.result);
      return;
    }
    // The server is the typed side of the contract; each event's payload is taken as its type.
    const set = listeners[message.event] as Set<(payload: unknown) => void>;
    for (const listener of set) listener(message.payload);
  }

  function request<K extends WebSocketRequestName>(method: K, args: ArgsOf<K>): Promise<ResultOf<K>> {
    if (closed) return Promise.resolve(connectionLostResult as ResultOf<K>);
    const id = nextId++;
    const message = JSON.stringify({ type: 'request', id, method, args });
    return new Promise<ResultOf<K>>((resolve) => {
      // The server is the typed side of the contract; its answer is taken as the method's Result.
      pending.set(id, resolve as (result: Result<unknown>) => void);
      if (socket.readyState === OPEN) socket.send(message);
      else queue.push(message);
    });
  }

  function subscribe<E extends keyof WorkbenchEvents>(
    event: E,
    listener: (payload: WorkbenchEvents[E]) => void,
  ): Unsubscribe {
    const set = listeners[event] as Set<(payload: WorkbenchEvents[E]) => void>;
    set.add(listener);
    return () => set.delete(listener);
  }

  async function uploadDroppedFile(file: File): Promise<Result<string>> {
    if (closed) return connectionLostResult;
    try {
      const response = await fetchImpl(`/upload?name=${encodeURIComponent(file.name)}`, {
        method: 'POST',
        body: file,
        credentials: 'same-origin',
      });
      return (await response.json()) as Result<string>;
    } catch {
      return connectionLostResult;
    }
  }

  const api: WorkbenchApi = {
    getAppInfo: () => request('getAppInfo', null),
    listJobs: () => request('listJobs', null),
    cancelJob: (args) => request('cancelJob', args),
    listRecentCaptures: () => request('listRecentCaptures', null),
    getSampleCapturePath: () => request('getSampleCapturePath', null),
    pickCapturePath: () => request('pickCapturePath', null),
    pathForDroppedFile: (file) => uploadDroppedFile(file),
    openCapture: (args) => request('openCapture', args),
    closeCapture: (args) => request('closeCapture', args),
    getProcesses: (args) => request('getProcesses', args),
    getFindings: (args) => request('getFindings', args),
    getLaunchCapturePath: () => request('getLaunchCapturePath', null),
    queryProcesses: (args) => request('queryProcesses', args),
    getProcessDetail: (args) => request('getProcessDetail', args),
    getCaptureFacts: (args) => request('getCaptureFacts', args),
    getSystemFacts: (args) => request('getSystemFacts', args),
    getSockets: (args) => request('getSockets', args),
    getTriage: (args) => request('getTriage', args),
    setTriage: (args) => request('setTriage', args),
    compareCaptures: (args) => request('compareCaptures', args),
    exportReport: (args) => request('exportReport', args),
    readArtifact: (args) => request('readArtifact', args),
    listHosts: () => request('listHosts', null),
    getHost: (args) => request('getHost', args),
    addHost: (args) => request('addHost', args),
    editHost: (args) => request('editHost', args),
    removeHost: (args) => request('removeHost', args),
    testHost: (args) => request('testHost', args),
    connectHost: (args) => request('connectHost', args),
    disconnectHost: (args) => request('disconnectHost', args),
    listSessions: () => request('listSessions', null),
    listVms: (args) => request('listVms', args),
    answerHostKey: (args) => request('answerHostKey', args),
    answerSecret: (args) => request('answerSecret', args),
    startCapture: (args) => request('startCapture', args),
    getCaptureOutcome: (args) => request('getCaptureOutcome', args),
    onJobProgress: (listener) => subscribe('jobProgress', listener),
    onSessionState: (listener) => subscribe('sessionState', listener),
    onHostKeyPrompt: (listener) => subscribe('hostKeyPrompt', listener),
    onSecretPrompt: (listener) => subscribe('secretPrompt', listener),
    onHostNotice: (listener) => subscribe('hostNotice', listener),
  };

  return {
    api,
    onConnectionLost(listener) {
      lostListeners.add(listener);
      return () => lostListeners.delete(listener);
    },
  };
}

const eventNames: ReadonlySet<string> = new Set<keyof WorkbenchEvents>(['jobProgress', 'sessionState', 'hostKeyPrompt', 'secretPrompt', 'hostNotice']);

function isEventName(name: unknown): name is keyof WorkbenchEvents {
  return typeof name === 'string' && eventNames.has(name);
}

type ServerMessage =
  | { readonly type: 'response'; readonly id: number; readonly result: Result<unknown> }
  | { readonly type: 'event'; readonly event: keyof WorkbenchEvents; readonly payload: unknown };

/** Reads one server frame; anything that is not a known message shape is dropped. */
function parseMessage(data: unknown): ServerMessage | undefined {
  if (typeof data !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const message = value as Record<string, unknown>;
  if (message.type === 'response' && typeof message.id === 'number' && isResult(message.result)) {
    return { type: 'response', id: message.id, result: message.result };
  }
  if (message.type === 'event' && isEventName(message.event)) {
    return { type: 'event', event: message.event, payload: message.payload };
  }
  return undefined;
}

function isResult(value: unknown): value is Result<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}
    getWorkstationKey: () => request('getWorkstationKey', null),
    setWorkstationKeyName: (args) => request('setWorkstationKeyName', args),
