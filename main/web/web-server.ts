import { randomUUID } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Result } from '../../preload/api';
import { contentSecurityPolicy } from '../app/content-security-policy';
import { WorkbenchFailure, toWorkbenchError } from '../errors';
import { createLogger } from '../logging/logger';
import type { WorkbenchServices } from '../services';
import { readCookie } from './session-token';
import { createSignIn } from './sign-in';
import { usedLinkPage } from './used-link-page';
import { serveSocket } from './socket-connection';
import { findStaticFile } from './static-files';

const log = createLogger('web');

/** Options of the web mode server. */
export interface WebServerOptions {
  readonly services: WorkbenchServices;
  /** The built renderer (out/renderer). */
  readonly staticDir: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Fixed token for tests; a random one otherwise. */
  readonly token?: string;
  /** Largest upload accepted, in bytes. */
  readonly maxUploadBytes?: number;
  /** Requests one connection may have waiting at once (see `socket-connection.ts`). */
  readonly maxInFlight?: number;
}

/** A running web mode server. */
export interface WebServer {
  /** The URL to open, its one-time token included. */
  readonly url: string;
  /** The origin the page runs at. */
  readonly origin: string;
  readonly port: number;
  /** The one-time token of `url`. */
  readonly token: string;
  /** A fresh one-time sign-in URL (for another browser); earlier ones are not affected. */
  newSignInUrl(): string;
  close(): Promise<void>;
}

const securityHeaders: Record<string, string> = {
  'Content-Security-Policy': contentSecurityPolicy,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/**
 * Serves the renderer on 127.0.0.1 and carries the contract over a WebSocket.
 *
 * Only the transport differs from Electron: requests go through the same `dispatchRequest`. Every
 * HTTP request needs a session: a one-time token (`?token=`, exchanged once for a session cookie
 * scoped to this port, then dead), a Host header naming this server (against DNS rebinding), and
 * WebSockets and uploads an Origin equal to this server's.
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const signIn = createSignIn(options.token);
  const token = signIn.issue();
  const maxUploadBytes = options.maxUploadBytes ?? 64 * 1024 ** 3;
  const uploadDir = await mkdtemp(join(tmpdir(), 'civic-uploads-'));
  // Uploads are temporary copies: gone when the process ends, even by an uncaught error.
  const removeUploadsNow = (): void => rmSync(uploadDir, { recursive: true, force: true });
  process.once('exit', removeUploadsNow);
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });

  let port = 0;
  const cookieName = (): string => `civic_token_${port}`;
  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];
  const hostAllowed = (request: IncomingMessage): boolean => allowedHosts().includes(request.headers.host ?? '');
  const originAllowed = (request: IncomingMessage): boolean =>
    request.headers.origin !== undefined && request.headers.origin === `http://${request.headers.host ?? ''}` && hostAllowed(request);
  const cookieValid = (request: IncomingMessage): boolean => signIn.sessionValid(readCookie(request.headers.cookie, cookieName()));

  const send = (response: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
    response.writeHead(status, { ...securityHeaders, 'Content-Type': type });
    response.end(body);
  };

  const handleUpload = async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    if (!originAllowed(request)) return send(response, 403, 'Cross-origin upload refused.');
    // The name is only a label for the user; it is reduced to safe characters and never climbs.
    const name =
      (url.searchParams.get('name') ?? 'capture')
        .replace(/[^A-Za-z0-9._-]/g, '_')
        .replace(/\.{2,}/g, '_')
        .replace(/^\.+/, '')
        .slice(0, 128) || 'capture';
    const target = join(uploadDir, `${randomUUID()}-${name}`);
    let received = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        if (received > maxUploadBytes) callback(new WorkbenchFailure('VALIDATION_FAILED', 'The upload is larger than allowed.'));
        else callback(null, chunk);
      },
    });
    let result: Result<string>;
    try {
      await pipeline(request, cap, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
      result = { ok: true, value: target };
    } catch (error) {
      await rm(target, { force: true });
      result = { ok: false, error: toWorkbenchError(error) };
    }
    send(response, 200, JSON.stringify(result), 'application/json');
  };

  const redirect = (response: ServerResponse, location: string, cookie?: string): void => {
    response.writeHead(303, { ...securityHeaders, ...(cookie === undefined ? {} : { 'Set-Cookie': cookie }), Location: location });
    response.end();
  };

  const handleHttp = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (!hostAllowed(request)) return send(response, 421, 'Wrong Host header.');
    const url = new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`);
    const presented = url.searchParams.get('token');
    if (presented !== null) {
      url.searchParams.delete('token');
      const location = url.pathname + url.search;
      // The browser that used the link already has its session: opening the link again just goes in.
      if (cookieValid(request)) return redirect(response, location);
      const exchange = signIn.exchange(presented);
      if (exchange.outcome === 'used') return send(response, 410, usedLinkPage, 'text/html; charset=utf-8');
      if (exchange.outcome === 'invalid') return send(response, 401, 'Invalid token. Open the URL that `civic serve` printed.');
      return redirect(response, location, `${cookieName()}=${exchange.session}; HttpOnly; SameSite=Strict; Path=/`);
    }
    if (!cookieValid(request)) return send(response, 401, 'Not signed in. Open the URL that `civic serve` printed (it carries the token).');
    if (request.method === 'POST' && url.pathname === '/upload') return handleUpload(request, response, url);
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'Method not allowed.');
    const file = await findStaticFile(options.staticDir, url.pathname);
    if (!file) return send(response, 404, 'Not found.');
    response.writeHead(200, { ...securityHeaders, 'Content-Type': file.mediaType, 'Content-Length': String(file.size) });
    if (request.method === 'HEAD') return void response.end();
    await pipeline(file.open(), response);
  };

  const refuseUpgrade = (socket: Duplex, status: string): void => {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
  };

  const server: Server = createServer((request, response) => {
    handleHttp(request, response).catch((error: unknown) => {
      log.error('HTTP request failed', error);
      if (!response.headersSent) send(response, 500, 'Internal error.');
      else response.destroy();
    });
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node drops its own error listener on an upgrade: a reset during a refusal would end the process.
    socket.on('error', () => socket.destroy());
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/api') return refuseUpgrade(socket, '404 Not Found');
    if (!hostAllowed(request)) return refuseUpgrade(socket, '421 Misdirected Request');
    if (!originAllowed(request)) return refuseUpgrade(socket, '403 Forbidden');
    if (!cookieValid(request)) return refuseUpgrade(socket, '401 Unauthorized');
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      serveSocket(ws, { services: options.services, ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }) });
    });
  });

  const detachEvents = options.services.events.forward((event, payload) => {
    const text = JSON.stringify({ type: 'event', event, payload });
    for (const socket of sockets) if (socket.readyState === socket.OPEN) socket.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    newSignInUrl: () => `${origin}/?token=${signIn.issue()}`,
    async close() {
      detachEvents();
      for (const socket of sockets) socket.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(uploadDir, { recursive: true, force: true });
      process.removeListener('exit', removeUploadsNow);
      signIn.close();
    },
  };
}
