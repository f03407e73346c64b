import { Agent, request } from 'node:http';

/** Options for {@link measureHttpLoad}. */
export interface HttpLoadOptions {
  readonly port: number;
  readonly host?: string;
  readonly path?: string;
  /** Requests in flight at any time, each on its own keep-alive connection. */
  readonly concurrency: number;
  /** Milliseconds whose completed requests are counted. */
  readonly durationMs: number;
  /** Milliseconds of load before counting starts (connections open, workers settle); default 0. */
  readonly warmupMs?: number;
}

/** What {@link measureHttpLoad} counted. */
export interface HttpLoadResult {
  /** Responses completed inside the counted window. */
  readonly requests: number;
  /** Failed requests (refused, reset, non-2xx) inside the counted window. */
  readonly errors: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
}

/**
 * Drives GET requests at a fixed concurrency and counts the responses that complete in the window.
 *
 * Requests still waiting when the window closes are abandoned: a server whose workers each hold one
 * connection may leave some connections unserved for a long time, and that is part of what it measures.
 */
export async function measureHttpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const startsAt = Date.now() + (options.warmupMs ?? 0);
  const endsAt = startsAt + options.durationMs;
  let requests = 0;
  let errors = 0;
  let stopped = false;

  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const outgoing = request(
        { host: options.host ?? '127.0.0.1', port: options.port, path: options.path ?? '/', agent },
        (response) => {
          response.resume();
          response.once('end', () => {
            const now = Date.now();
            if (now >= startsAt && now <= endsAt) {
              if ((response.statusCode ?? 0) < 300) requests += 1;
              else errors += 1;
            }
            resolve();
          });
          response.once('error', () => resolve());
        },
      );
      outgoing.once('error', () => {
        const now = Date.now();
        if (!stopped && now >= startsAt && now <= endsAt) errors += 1;
        resolve();
      });
      outgoing.end();
    });

  const loop = async (): Promise<void> => {
    while (!stopped && Date.now() < endsAt) await once();
  };
  const loops = Array.from({ length: options.concurrency }, loop);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, endsAt - Date.now())));
  stopped = true;
  // Abandon what is still waiting (see above): destroying the agent's sockets ends every request.
  agent.destroy();
  await Promise.all(loops);
  const seconds = options.durationMs / 1000;
  return { requests, errors, seconds, requestsPerSecond: Number((requests / seconds).toFixed(1)) };
}

/** One GET on a fresh connection; resolves with the status and body, rejects on a network error. */
export function httpGet(port: number, path = '/', timeoutMs = 10_000): Promise<{ readonly status: number; readonly body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.once('error', reject);
    });
    outgoing.once('timeout', () => outgoing.destroy(new Error(`GET 127.0.0.1:${port}${path}: no answer within ${timeoutMs} ms`)));
    outgoing.once('error', reject);
    outgoing.end();
  });
}

/** Polls GET until it answers 200 (a guest starts its services after qemu-ga answers). */
export async function waitForHttp(port: number, path = '/', timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const { status } = await httpGet(port, path, 5_000);
      if (status === 200) return;
      last = `status ${status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`127.0.0.1:${port}${path} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}
