import { describe, expect, it, vi } from 'vitest';
import type { JobProgressEvent, Result } from '../../../../preload/api';
import { createWebAdapter, defaultSocketUrl, type SocketLike } from '../../../../renderer/src/api/web-adapter';
import { sampleOverview } from '../support/sample-capture';

/** A socket the test drives by hand: it records what was sent and replays server frames. */
class FakeSocket implements SocketLike {
  readyState = 0;
  readonly sent: unknown[] = [];
  private readonly listeners = new Map<string, ((event: { data?: unknown }) => void)[]>();

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send before open');
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.serverClose();
  }

  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  open(): void {
    this.readyState = 1;
    this.fire('open', {});
  }

  serverSend(message: unknown): void {
    this.fire('message', { data: typeof message === 'string' ? message : JSON.stringify(message) });
  }

  serverClose(): void {
    this.readyState = 3;
    this.fire('close', {});
  }

  private fire(type: string, event: { data?: unknown }): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}

function setup() {
  let socket: FakeSocket | undefined;
  const fetch = vi.fn(async () => new Response(JSON.stringify({ ok: true, value: '/srv/uploads/x.civic' })));
  const adapter = createWebAdapter({
    url: 'ws://127.0.0.1:1/api',
    openSocket: (url) => (socket = new FakeSocket(url)),
    fetch,
  });
  return { adapter, api: adapter.api, socket: socket as unknown as FakeSocket, fetch };
}

const jobEvent: JobProgressEvent = {
  job: {
    jobId: 'j1',
    kind: 'open-capture',
    title: 'Open capture',
    state: 'running',
    value: 0.5,
    step: 'hashing',
    startedAt: '2026-11-26T10:00:00.000Z',
  },
};

describe('createWebAdapter', () => {
  it('queues requests made before the socket opens and sends them on open', async () => {
    const { api, socket } = setup();
    const pending = api.openCapture({ path: '/a.civic' });
    const info = api.getAppInfo();
    expect(socket.sent).toEqual([]);
    socket.open();
    expect(socket.sent).toEqual([
      { type: 'request', id: 1, method: 'openCapture', args: { path: '/a.civic' } },
      { type: 'request', id: 2, method: 'getAppInfo', args: null },
    ]);
    socket.serverSend({ type: 'response', id: 2, result: { ok: false, error: { code: 'INTERNAL', message: 'm', hint: 'h' } } });
    socket.serverSend({ type: 'response', id: 1, result: { ok: true, value: sampleOverview } });
    await expect(pending).resolves.toEqual({ ok: true, value: sampleOverview });
    await expect(info).resolves.toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });

  it('matches responses to requests by id, whatever their order', async () => {
    const { api, socket } = setup();
    socket.open();
    const first = api.getSampleCapturePath();
    const second = api.listHosts();
    socket.serverSend({ type: 'response', id: 2, result: { ok: true, value: [] } });
    socket.serverSend({ type: 'response', id: 1, result: { ok: true, value: '/sample' } });
    await expect(first).resolves.toEqual({ ok: true, value: '/sample' });
    await expect(second).resolves.toEqual({ ok: true, value: [] });
  });

  it('sends pickCapturePath like any other method and relays NOT_SUPPORTED', async () => {
    const { api, socket } = setup();
    socket.open();
    const picked = api.pickCapturePath();
    expect(socket.sent).toEqual([{ type: 'request', id: 1, method: 'pickCapturePath', args: null }]);
    const answer: Result<never> = { ok: false, error: { code: 'NOT_SUPPORTED', message: 'No dialog.', hint: 'Type it.' } };
    socket.serverSend({ type: 'response', id: 1, result: answer });
    await expect(picked).resolves.toEqual(answer);
  });

  it('dispatches events to listeners until they unsubscribe', () => {
    const { api, socket } = setup();
    socket.open();
    const first = vi.fn();
    const second = vi.fn();
    const sessions = vi.fn();
    const stopFirst = api.onJobProgress(first);
    api.onJobProgress(second);
    api.onSessionState(sessions);
    socket.serverSend({ type: 'event', event: 'jobProgress', payload: jobEvent });
    stopFirst();
    socket.serverSend({ type: 'event', event: 'jobProgress', payload: jobEvent });
    socket.serverSend({ type: 'event', event: 'sessionState', payload: { hostId: 'h', state: 'connected' } });
    expect(first).toHaveBeenCalledTimes(1);
    expect(first).toHaveBeenCalledWith(jobEvent);
    expect(second).toHaveBeenCalledTimes(2);
    expect(sessions).toHaveBeenCalledWith({ hostId: 'h', state: 'connected' });
  });

  it('ignores malformed frames, unknown events and responses to nobody', async () => {
    const { api, socket } = setup();
    socket.open();
    const listener = vi.fn();
    api.onJobProgress(listener);
    const pending = api.listJobs();
    socket.serverSend('not json');
    socket.serverSend({ type: 'event', event: '__proto__', payload: {} });
    socket.serverSend({ type: 'response', id: 99, result: { ok: true, value: 1 } });
    socket.serverSend({ type: 'response', id: 1, result: 'not a result' });
    expect(listener).not.toHaveBeenCalled();
    socket.serverSend({ type: 'response', id: 1, result: { ok: true, value: [] } });
    await expect(pending).resolves.toEqual({ ok: true, value: [] });
  });

  it('resolves pending and later requests to CONNECTION_LOST when the socket closes, and says so once', async () => {
    const { adapter, api, socket } = setup();
    const lost = vi.fn();
    adapter.onConnectionLost(lost);
    socket.open();
    const pending = api.getProcesses({ handle: 'h1' });
    socket.serverClose();
    const expected = {
      ok: false,
      error: {
        code: 'CONNECTION_LOST',
        message: 'The connection to the workbench service was lost.',
        hint: 'Reload the page.',
      },
    };
    await expect(pending).resolves.toEqual(expected);
    await expect(api.listJobs()).resolves.toEqual(expected);
    socket.serverClose();
    expect(lost).toHaveBeenCalledTimes(1);
  });

  it('resolves requests queued before open to CONNECTION_LOST when the socket never opens', async () => {
    const { api, socket } = setup();
    const pending = api.getAppInfo();
    socket.serverClose();
    await expect(pending).resolves.toMatchObject({ ok: false, error: { code: 'CONNECTION_LOST' } });
    expect(socket.sent).toEqual([]);
  });

  it('uploads a dropped file over HTTP and returns the server path', async () => {
    const { api, fetch } = setup();
    const file = new File(['zip bytes'], 'web 01 & co.civic');
    await expect(api.pathForDroppedFile(file)).resolves.toEqual({ ok: true, value: '/srv/uploads/x.civic' });
    expect(fetch).toHaveBeenCalledWith('/upload?name=web%2001%20%26%20co.civic', {
      method: 'POST',
      body: file,
      credentials: 'same-origin',
    });
  });

  it('reports CONNECTION_LOST when the upload cannot reach the server', async () => {
    const adapter = createWebAdapter({
      url: 'ws://127.0.0.1:1/api',
      openSocket: (url) => new FakeSocket(url),
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await expect(adapter.api.pathForDroppedFile(new File(['x'], 'a.civic'))).resolves.toMatchObject({
      ok: false,
      error: { code: 'CONNECTION_LOST' },
    });
  });
});

describe('defaultSocketUrl', () => {
  it('uses ws for http and wss for https, on the page host', () => {
    expect(defaultSocketUrl({ protocol: 'http:', host: '127.0.0.1:4173' })).toBe('ws://127.0.0.1:4173/api');
    expect(defaultSocketUrl({ protocol: 'https:', host: 'bench.local' })).toBe('wss://bench.local/api');
  });
});
