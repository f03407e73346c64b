import {
  type Result,
  type Unsubscribe,
  type WorkbenchApi,
  type WorkbenchEventName,
  workbenchEventNames,
  type WorkbenchEvents,
  workbenchEventSubscriptions,
} from '../../../preload/api';
import { connectionLostResult } from './connection-lost';
import { type WebSocketRequestName, webSocketRequestNames } from './method-names';

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
  /** Runs `retry` after `delayMs`, to open a dropped socket again (tests run it by hand). */
  readonly schedule?: (retry: () => void, delayMs: number) => void;
}

/** The contract over a web socket, plus word of the socket closing and coming back (for the banner). */
export interface WebAdapter {
  readonly api: WorkbenchApi;
  /** Called once per outage when the socket closes; pending requests and those made meanwhile resolve to CONNECTION_LOST. */
  onConnectionLost(listener: () => void): Unsubscribe;
  /** Called when a socket is open again after an outage: events were missed, so re-read what is shown. */
  onReconnected(listener: () => void): Unsubscribe;
}

/** Requests sent and not yet answered, at most: the server refuses more per connection (`main/web/socket-connection.ts`). */
export const maxRequestsInFlight = 16;

/** Tries to open the socket again after it dropped, with a growing pause; then stops (the banner stays). */
const retryDelaysMs: readonly number[] = [500, 1000, 2000, 4000, 8000, ...Array<number>(40).fill(15_000)];

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
 * Requests made before the socket opens, or beyond `maxRequestsInFlight`, wait in a queue (answers
 * to prompts first, since a connect in flight may be waiting on one). Responses are matched to
 * requests by id; events fan out to their listeners. When the socket drops, what was pending resolves
 * to CONNECTION_LOST and a new socket is tried; once one opens, `onReconnected` listeners re-read the
 * state they show. No method holds logic: the server answers every one.
 */
export function createWebAdapter(options: WebAdapterOptions = {}): WebAdapter {
  const url = options.url ?? defaultSocketUrl(window.location);
  const openSocket = options.openSocket ?? ((address: string) => new WebSocket(address));
  const fetchImpl = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
  const schedule = options.schedule ?? ((retry: () => void, delayMs: number) => void setTimeout(retry, delayMs));

  let nextId = 1;
  /** True from a socket's close until another one opens. */
  let closed = false;
  let retries = 0;
  const queue: { readonly id: number; readonly text: string }[] = [];
  const sent = new Set<number>();
  const pending = new Map<number, (result: Result<unknown>) => void>();
  // One set per event of the contract; `fromEntries` cannot carry each set's payload type.
  const listeners = Object.fromEntries(workbenchEventNames.map((event) => [event, new Set()])) as {
    [E in keyof WorkbenchEvents]: Set<(payload: WorkbenchEvents[E]) => void>;
  };
  const lostListeners = new Set<() => void>();
  const reconnectedListeners = new Set<() => void>();
  let socket = connect();

  function connect(): SocketLike {
    const next = openSocket(url);
    let ended = false;
    next.addEventListener('open', () => {
      if (next !== socket) return;
      retries = 0;
      // Anything asked during the outage was answered CONNECTION_LOST: the page re-reads it now.
      const reconnected = closed;
      closed = false;
      pump();
      if (reconnected) for (const listener of reconnectedListeners) listener();
    });
    next.addEventListener('message', (event) => {
      if (next === socket) dispatch(event.data);
    });
    next.addEventListener('close', () => {
      if (ended || next !== socket) return;
      ended = true;
      const firstOfOutage = !closed;
      closed = true;
      queue.length = 0;
      sent.clear();
      for (const resolve of pending.values()) resolve(connectionLostResult);
      pending.clear();
      if (firstOfOutage) for (const listener of lostListeners) listener();
      const delay = retryDelaysMs[retries];
      retries += 1;
      if (delay !== undefined) schedule(() => (socket = connect()), delay);
    });
    return next;
  }

  /** Sends queued requests while the socket is open and fewer than the limit await answers. */
  function pump(): void {
    while (socket.readyState === OPEN && sent.size < maxRequestsInFlight) {
      const message = queue.shift();
      if (message === undefined) return;
      sent.add(message.id);
      socket.send(message.text);
    }
  }

  function dispatch(data: unknown): void {
    const message = parseMessage(data);
    if (message === undefined) return;
    if (message.type === 'response') {
      const resolve = pending.get(message.id);
      pending.delete(message.id);
      sent.delete(message.id);
      resolve?.(message.result);
      pump();
      return;
    }
    // The server is the typed side of the contract; each event's payload is taken as its type.
    const set = listeners[message.event] as Set<(payload: unknown) => void>;
    for (const listener of set) listener(message.payload);
  }

  function request<K extends WebSocketRequestName>(method: K, args: ArgsOf<K>): Promise<ResultOf<K>> {
    if (closed) return Promise.resolve(connectionLostResult as ResultOf<K>);
    const id = nextId++;
    const message = { id, text: JSON.stringify({ type: 'request', id, method, args }) };
    return new Promise<ResultOf<K>>((resolve) => {
      // The server is the typed side of the contract; its answer is taken as the method's Result.
      pending.set(id, resolve as (result: Result<unknown>) => void);
      if (method === 'answerHostKey' || method === 'answerSecret') queue.unshift(message);
      else queue.push(message);
      pump();
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

  /** One named function per socket request of the contract, built from its method list. */
  function requestFunctions(): Pick<WorkbenchApi, WebSocketRequestName> {
    const functions: Record<string, (args?: unknown) => Promise<unknown>> = {};
    for (const method of webSocketRequestNames) {
      functions[method] = (args?: unknown) => request(method, (args ?? null) as ArgsOf<typeof method>);
    }
    // Each function forwards its own method's argument and resolves to what the server answers for it.
    return functions as unknown as Pick<WorkbenchApi, WebSocketRequestName>;
  }

  /** One subscription function per event of the contract. */
  function eventSubscriptions(): Pick<WorkbenchApi, WorkbenchEventName> {
    const functions: Record<string, (listener: (payload: unknown) => void) => Unsubscribe> = {};
    for (const [subscription, event] of Object.entries(workbenchEventSubscriptions)) {
      functions[subscription] = (listener) => subscribe(event, listener);
    }
    // Each subscription hands its listener the payload of its own event.
    return functions as unknown as Pick<WorkbenchApi, WorkbenchEventName>;
  }

  const api: WorkbenchApi = {
    ...requestFunctions(),
    pathForDroppedFile: (file) => uploadDroppedFile(file),
    ...eventSubscriptions(),
  };

  return {
    api,
    onConnectionLost(listener) {
      lostListeners.add(listener);
      return () => lostListeners.delete(listener);
    },
    onReconnected(listener) {
      reconnectedListeners.add(listener);
      return () => reconnectedListeners.delete(listener);
    },
  };
}

const eventNames: ReadonlySet<string> = new Set<keyof WorkbenchEvents>(workbenchEventNames);

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
