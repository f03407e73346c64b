import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import { createWorkbenchServices, type WorkbenchServices } from '../../../../main/services';
import { startWebServer, type WebServer, type WebServerOptions } from '../../../../main/web/web-server';

/** One HTTP answer. */
export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** Sends one HTTP request and reads the whole answer. */
export function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Real services over a temp app-data folder, and a renderer folder with one page. */
export function makeServices(folder: string): { services: WorkbenchServices; staticDir: string } {
  const staticDir = join(folder, 'renderer');
  mkdirSync(staticDir, { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Civic</title>');
  const services = createWorkbenchServices({
    appDataDir: join(folder, 'data'),
    homeDir: join(folder, 'home'),
    resourcesDir: join(__dirname, '../../../../resources'),
    transport: 'web',
  });
  return { services, staticDir };
}

/** Starts the real web server on 127.0.0.1, port 0. */
export function startTestServer(options: WebServerOptions): Promise<WebServer> {
  return startWebServer(options);
}

/** Opens `url` (a one-time sign-in URL) and returns the session cookie it was exchanged for. */
export async function signInWith(url: string): Promise<string> {
  const reply = await send(url);
  expect(reply.status).toBe(303);
  return String(reply.headers['set-cookie']).split(';')[0]!;
}

/** A signed-in client socket with request/answer matching by id and a log of events. */
export interface TestClient {
  readonly socket: WebSocket;
  readonly events: { event: string; payload: unknown }[];
  /** Every message in arrival order (responses and events). */
  readonly arrivals: { type: string; id?: number; event?: string; result?: { ok: boolean; error?: { code: string } } }[];
  ask(method: string, args?: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string } }>;
  /** Sends a request without waiting; returns its id. */
  fire(method: string, args?: unknown): number;
  close(): void;
}

/** Connects a client socket with the session cookie and the right Origin. */
export function openClient(web: WebServer, cookie: string): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${web.port}/api`, { headers: { Cookie: cookie, Origin: web.origin } });
    let nextId = 1;
    const waiting = new Map<number, (result: never) => void>();
    const events: TestClient['events'] = [];
    const arrivals: TestClient['arrivals'] = [];
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as TestClient['arrivals'][number] & { payload?: unknown };
      arrivals.push(message);
      if (message.type === 'event') events.push({ event: message.event ?? '', payload: message.payload });
      if (message.type === 'response' && message.id !== undefined) {
        waiting.get(message.id)?.(message.result as never);
        waiting.delete(message.id);
      }
    });
    socket.once('error', reject);
    const fire = (method: string, args: unknown = null): number => {
      const id = nextId++;
      socket.send(JSON.stringify({ type: 'request', id, method, args }));
      return id;
    };
    socket.once('open', () =>
      resolve({
        socket,
        events,
        arrivals,
        fire,
        ask: (method, args) =>
          new Promise((answer) => {
            waiting.set(fire(method, args), answer);
          }),
        close: () => socket.close(),
      }),
    );
  });
}
