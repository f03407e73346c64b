import { describe, expect, it, vi } from 'vitest';
import { createWebAdapter, maxRequestsInFlight, type SocketLike } from '../../../../renderer/src/api/web-adapter';

/** A socket driven by hand, as the server would. */
class HandSocket implements SocketLike {
  readyState = 0;
  readonly sent: { id: number; method: string }[] = [];
  private readonly listeners = new Map<string, ((event: { data?: unknown }) => void)[]>();

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send before open');
    this.sent.push(JSON.parse(data) as { id: number; method: string });
  }
  close(): void {
    this.drop();
  }
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  open(): void {
    this.readyState = 1;
    this.fire('open', {});
  }
  answer(id: number, value: unknown = null): void {
    this.fire('message', { data: JSON.stringify({ type: 'response', id, result: { ok: true, value } }) });
  }
  drop(): void {
    this.readyState = 3;
    this.fire('close', {});
  }
  private fire(type: string, event: { data?: unknown }): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}

function setup() {
  const sockets: HandSocket[] = [];
  const retries: { run: () => void; delayMs: number }[] = [];
  const adapter = createWebAdapter({
    url: 'ws://127.0.0.1:1/api',
    openSocket: () => {
      const socket = new HandSocket();
      sockets.push(socket);
      return socket;
    },
    fetch: vi.fn(),
    schedule: (run, delayMs) => retries.push({ run, delayMs }),
  });
  return { adapter, api: adapter.api, sockets, retries };
}

describe('the web adapter after its socket drops', () => {
  it('opens a new socket, says so once it is open, and carries requests again', async () => {
    const { adapter, api, sockets, retries } = setup();
    const lost = vi.fn();
    const back = vi.fn();
    adapter.onConnectionLost(lost);
    adapter.onReconnected(back);
    sockets[0]!.open();
    expect(back).not.toHaveBeenCalled();
    const pending = api.listSessions();
    sockets[0]!.drop();
    await expect(pending).resolves.toMatchObject({ ok: false, error: { code: 'CONNECTION_LOST' } });
    expect(lost).toHaveBeenCalledTimes(1);

    // The first retry fails too: still one outage, and the pause grows.
    retries[0]!.run();
    sockets[1]!.drop();
    expect(lost).toHaveBeenCalledTimes(1);
    expect(retries[1]!.delayMs).toBeGreaterThan(retries[0]!.delayMs);
    await expect(api.listJobs()).resolves.toMatchObject({ ok: false, error: { code: 'CONNECTION_LOST' } });

    retries[1]!.run();
    sockets[2]!.open();
    expect(back).toHaveBeenCalledTimes(1);
    const sessions = api.listSessions();
    expect(sockets[2]!.sent).toEqual([expect.objectContaining({ method: 'listSessions' })]);
    sockets[2]!.answer(sockets[2]!.sent[0]!.id, [{ hostId: 'app:1', state: 'connected' }]);
    await expect(sessions).resolves.toEqual({ ok: true, value: [{ hostId: 'app:1', state: 'connected' }] });
  });

  it('ignores a late close from a socket it already replaced', () => {
    const { adapter, sockets, retries } = setup();
    const lost = vi.fn();
    adapter.onConnectionLost(lost);
    sockets[0]!.open();
    sockets[0]!.drop();
    retries[0]!.run();
    sockets[1]!.open();
    sockets[0]!.drop();
    expect(lost).toHaveBeenCalledTimes(1);
    expect(retries).toHaveLength(1);
  });
});

describe('the web adapter under many requests', () => {
  it('keeps at most the server limit in flight and sends the rest as answers come, prompt answers first', async () => {
    const { api, sockets } = setup();
    const socket = sockets[0]!;
    socket.open();
    const answers = Array.from({ length: maxRequestsInFlight + 5 }, () => api.getAppInfo());
    expect(socket.sent).toHaveLength(maxRequestsInFlight);
    void api.answerHostKey({ promptId: '00000000-0000-4000-8000-000000000000', accept: true });
    socket.answer(socket.sent[0]!.id, { version: '1' });
    expect(socket.sent).toHaveLength(maxRequestsInFlight + 1);
    expect(socket.sent.at(-1)!.method).toBe('answerHostKey');
    for (let index = 1; index < socket.sent.length; index += 1) socket.answer(socket.sent[index]!.id);
    // Each answer let one more go: every request was sent, none refused by the adapter.
    for (let index = maxRequestsInFlight + 1; index < socket.sent.length; index += 1) socket.answer(socket.sent[index]!.id);
    expect(socket.sent.filter((message) => message.method === 'getAppInfo')).toHaveLength(answers.length);
    const results = await Promise.all(answers);
    expect(results.every((result) => result.ok)).toBe(true);
  });
});
