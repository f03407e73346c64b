import { describe, expect, it } from 'vitest';
import type { SessionStateEvent } from '../../../../preload/api';
import { WorkbenchFailure } from '../../../../main/errors';
import { backoffDelay, createConnectionPool } from '../../../../main/ssh/connection-pool';
import type { SshConnection } from '../../../../main/ssh/ssh-connect';

/** A connection whose loss the test triggers by hand. */
function fakeConnection(label: string): SshConnection & { drop(): void } {
  const listeners = new Set<(expected: boolean) => void>();
  let closed = false;
  const end = (expected: boolean): void => {
    if (closed) return;
    closed = true;
    for (const listener of listeners) listener(expected);
  };
  return {
    client: {} as SshConnection['client'],
    label,
    hostKeySha256: `SHA256:${'B'.repeat(43)}`,
    get closed() {
      return closed;
    },
    onClose(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => end(true),
    drop: () => end(false),
  };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('connection pool', () => {
  it('shares one connect between concurrent callers', async () => {
    const pending = deferred<SshConnection>();
    let opens = 0;
    const events: SessionStateEvent[] = [];
    const pool = createConnectionPool({ open: () => (opens++, pending.promise), onState: (event) => events.push(event) });
    const both = Promise.all([pool.acquire('h'), pool.acquire('h')]);
    const connection = fakeConnection('h');
    pending.resolve(connection);
    const [a, b] = await both;
    expect(a).toBe(connection);
    expect(b).toBe(connection);
    expect(opens).toBe(1);
    expect(await pool.acquire('h')).toBe(connection);
    expect(events.map((event) => event.state)).toEqual(['connecting', 'connected']);
  });

  it('reports a failed connect as disconnected with its error, and tries again on the next acquire', async () => {
    const events: SessionStateEvent[] = [];
    let attempt = 0;
    const pool = createConnectionPool({
      open: async () => {
        attempt += 1;
        if (attempt === 1) throw new WorkbenchFailure('CONNECTION_REFUSED', 'refused');
        return fakeConnection('h');
      },
      onState: (event) => events.push(event),
    });
    await expect(pool.acquire('h')).rejects.toMatchObject({ code: 'CONNECTION_REFUSED' });
    expect(events.at(-1)).toMatchObject({ state: 'disconnected', error: { code: 'CONNECTION_REFUSED' } });
    await pool.acquire('h');
    expect(pool.state('h')).toBe('connected');
  });

  it('reports a loss, then reconnects with backoff', async () => {
    const events: SessionStateEvent[] = [];
    const delays: number[] = [];
    const connections = [fakeConnection('h'), fakeConnection('h')];
    let opened = 0;
    let reconnected!: () => void;
    const done = new Promise<void>((resolve) => (reconnected = resolve));
    let failures = 2;
    const pool = createConnectionPool({
      open: async () => {
        if (opened === 1 && failures-- > 0) throw new WorkbenchFailure('CONNECTION_REFUSED', 'not yet');
        return connections[opened++] as SshConnection;
      },
      onState: (event) => {
        events.push(event);
        if (event.state === 'connected' && opened === 2) reconnected();
      },
      reconnect: { attempts: 5, baseDelayMs: 100, maxDelayMs: 250 },
      delay: async (ms) => void delays.push(ms),
    });
    const first = await pool.acquire('h');
    (first as ReturnType<typeof fakeConnection>).drop();
    await done;
    expect(delays).toEqual([100, 200, 250]);
    expect(events.map((event) => event.state)).toEqual([
      'connecting',
      'connected',
      'lost',
      'reconnecting',
      'disconnected',
      'reconnecting',
      'disconnected',
      'reconnecting',
      'connected',
    ]);
    expect(events[2]?.error?.code).toBe('CONNECTION_LOST');
    expect(await pool.acquire('h')).toBe(connections[1]);
  });

  it('does not retry a refused host key', async () => {
    const events: SessionStateEvent[] = [];
    let opened = 0;
    const first = fakeConnection('h');
    let settle!: () => void;
    const stopped = new Promise<void>((resolve) => (settle = resolve));
    const pool = createConnectionPool({
      open: async () => {
        opened += 1;
        if (opened === 1) return first;
        throw new WorkbenchFailure('HOST_KEY_MISMATCH', 'changed');
      },
      onState: (event) => {
        events.push(event);
        if (event.error?.code === 'HOST_KEY_MISMATCH') settle();
      },
      reconnect: { attempts: 5, baseDelayMs: 0, maxDelayMs: 0 },
      delay: async () => undefined,
    });
    await pool.acquire('h');
    first.drop();
    await stopped;
    expect(opened).toBe(2);
  });

  it('disconnect closes quietly and stops reconnecting', async () => {
    const events: SessionStateEvent[] = [];
    const connection = fakeConnection('h');
    const pool = createConnectionPool({ open: async () => connection, onState: (event) => events.push(event) });
    await pool.acquire('h');
    pool.disconnect('h');
    expect(connection.closed).toBe(true);
    expect(events.map((event) => event.state)).toEqual(['connecting', 'connected', 'disconnected']);
  });

  it('lets one caller cancel its wait without cancelling the shared connect', async () => {
    const pending = deferred<SshConnection>();
    const pool = createConnectionPool({ open: () => pending.promise, onState: () => undefined });
    const controller = new AbortController();
    const cancelled = pool.acquire('h', controller.signal);
    const other = pool.acquire('h');
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    pending.resolve(fakeConnection('h'));
    await expect(other).resolves.toBeDefined();
  });

  it('caps the backoff', () => {
    expect([0, 1, 2, 3, 10].map((attempt) => backoffDelay({ attempts: 9, baseDelayMs: 1000, maxDelayMs: 5000 }, attempt))).toEqual([
      1000, 2000, 4000, 5000, 5000,
    ]);
  });
});
