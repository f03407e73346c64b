import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createWorkbenchServices } from '../../../../main/services';
import { startWebServer, type WebServer } from '../../../../main/web/web-server';
import { useTempFolders } from '../../../support/temp-folders';

const tempFolder = useTempFolders('civic-web');

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
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

let server: WebServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<WebServer> {
  // The renderer folder sits inside a parent holding a file the server must never serve.
  const staticDir = join(tempFolder(), 'renderer');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Civic</title>');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(staticDir, '..', 'secret.txt'), 'outside');
  const services = createWorkbenchServices({
    appDataDir: tempFolder(),
    resourcesDir: join(__dirname, '../../../../resources'),
    transport: 'web',
  });
  server = await startWebServer({ services, staticDir });
  return server;
}

async function signIn(web: WebServer): Promise<string> {
  const reply = await send(web.url);
  expect(reply.status).toBe(303);
  const cookie = String(reply.headers['set-cookie']).split(';')[0]!;
  expect(String(reply.headers['set-cookie'])).toContain('HttpOnly');
  expect(String(reply.headers['set-cookie'])).toContain('SameSite=Strict');
  return cookie;
}

function connect(web: WebServer, headers: Record<string, string>): Promise<{ socket: WebSocket } | { refused: number }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${web.port}/api`, { headers });
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_req, res) => resolve({ refused: res.statusCode ?? 0 }));
    socket.once('error', () => resolve({ refused: -1 }));
  });
}

function ask(socket: WebSocket, message: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    socket.once('message', (data) => resolve(JSON.parse(data.toString())));
    socket.send(JSON.stringify(message));
  });
}

describe('web mode server', () => {
  it('refuses a page request without the token or with a wrong one', async () => {
    const web = await start();
    expect((await send(`${web.origin}/`)).status).toBe(401);
    expect((await send(`${web.origin}/assets/app.js`)).status).toBe(401);
    expect((await send(`${web.origin}/?token=wrong`)).status).toBe(401);
  });

  it('exchanges the token for a cookie, then serves the page with the CSP', async () => {
    const web = await start();
    const cookie = await signIn(web);
    const page = await send(`${web.origin}/`, { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Civic</title>');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses a foreign Host header (DNS rebinding) and paths outside the renderer', async () => {
    const web = await start();
    const cookie = await signIn(web);
    expect((await send(`${web.origin}/`, { headers: { Cookie: cookie, Host: 'evil.example' } })).status).toBe(421);
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/.hidden']) {
      const reply = await send(`${web.origin}${path}`, { headers: { Cookie: cookie } });
      expect(reply.status).toBe(404);
      expect(reply.body).not.toContain('outside');
    }
  });

  it('refuses a WebSocket from another origin or without the cookie', async () => {
    const web = await start();
    const cookie = await signIn(web);
    expect(await connect(web, { Cookie: cookie, Origin: 'https://evil.example' })).toEqual({ refused: 403 });
    expect(await connect(web, { Cookie: cookie })).toEqual({ refused: 403 });
    expect(await connect(web, { Origin: web.origin })).toEqual({ refused: 401 });
    expect(await connect(web, { Cookie: 'civic_token_1=nope', Origin: web.origin })).toEqual({ refused: 401 });
  });

  it('carries requests through the same validation as IPC', async () => {
    const web = await start();
    const cookie = await signIn(web);
    const connection = await connect(web, { Cookie: cookie, Origin: web.origin });
    if (!('socket' in connection)) throw new Error('refused');
    const info = await ask(connection.socket, { type: 'request', id: 1, method: 'getAppInfo', args: null });
    expect(info).toMatchObject({ type: 'response', id: 1, result: { ok: true, value: { transport: 'web', hasNativeDialogs: false } } });
    const bad = await ask(connection.socket, { type: 'request', id: 2, method: 'openCapture', args: { path: 7 } });
    expect(bad).toMatchObject({ id: 2, result: { ok: false, error: { code: 'VALIDATION_FAILED' } } });
    const unknown = await ask(connection.socket, { type: 'request', id: 3, method: '__proto__', args: null });
    expect(unknown).toMatchObject({ id: 3, result: { ok: false, error: { code: 'VALIDATION_FAILED' } } });
    const dialog = await ask(connection.socket, { type: 'request', id: 4, method: 'pickCapturePath', args: null });
    expect(dialog).toMatchObject({ id: 4, result: { ok: false, error: { code: 'NOT_SUPPORTED' } } });
    connection.socket.close();
  });

  it('stores an upload under its own folder with a sanitised name, and refuses a cross-origin one', async () => {
    const web = await start();
    const cookie = await signIn(web);
    const refused = await send(`${web.origin}/upload?name=x.civic`, { method: 'POST', headers: { Cookie: cookie, Origin: 'https://evil.example' }, body: 'x' });
    expect(refused.status).toBe(403);
    const reply = await send(`${web.origin}/upload?name=${encodeURIComponent('../../etc/passwd')}`, {
      method: 'POST',
      headers: { Cookie: cookie, Origin: web.origin },
      body: 'capture bytes',
    });
    const result = JSON.parse(reply.body) as { ok: boolean; value: string };
    expect(result.ok).toBe(true);
    expect(result.value).not.toContain('..');
    expect(readFileSync(result.value, 'utf8')).toBe('capture bytes');
    await web.close();
    server = undefined;
    expect(existsSync(result.value)).toBe(false);
  });
});
