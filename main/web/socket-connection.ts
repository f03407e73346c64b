import type { WebSocket } from 'ws';
import type { Result } from '../../preload/api';
import { dispatchRequest } from '../contract/dispatch';
import { workbenchError } from '../errors';
import { createLogger } from '../logging/logger';
import type { WorkbenchServices } from '../services';
import { clientMessageSchema } from './wire-protocol';

const log = createLogger('web');

/** Requests one connection may have waiting on the services at once; the renderer's adapter keeps to it. */
export const maxRequestsInFlight = 16;

/** What one web-socket connection needs. */
export interface SocketConnectionOptions {
  readonly services: WorkbenchServices;
  /** Defaults to `maxRequestsInFlight`. */
  readonly maxInFlight?: number;
}

/**
 * Serves the contract on one accepted web socket.
 *
 * Nothing a client sends can end the process: a frame ws refuses (too big, bad UTF-8, unmasked,
 * reserved bits or opcodes, a fragmented control frame, a bad close code) reaches the `'error'`
 * listener, and ws then closes that socket with the matching close code (1009, 1007, 1002); without
 * the listener the same error is thrown and kills `civic serve`. A connection with
 * `maxInFlight` requests already waiting has further ones refused at once with TOO_MANY_REQUESTS, so
 * one client cannot queue unbounded work ahead of the others.
 */
export function serveSocket(socket: WebSocket, options: SocketConnectionOptions): void {
  const limit = options.maxInFlight ?? maxRequestsInFlight;
  let inFlight = 0;

  const reply = (id: number, result: Result<unknown>): void => {
    if (socket.readyState !== socket.OPEN) return;
    try {
      socket.send(JSON.stringify({ type: 'response', id, result }));
    } catch (error) {
      // A value JSON cannot carry is a bug in a service, not the client's doing.
      log.error('a response could not be sent', error);
      socket.send(JSON.stringify({ type: 'response', id, result: { ok: false, error: workbenchError('INTERNAL', 'The answer could not be sent.') } }));
    }
  };

  const handleText = async (text: string): Promise<void> => {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return socket.close(1008, 'Malformed message.');
    }
    const parsed = clientMessageSchema.safeParse(message);
    if (!parsed.success) return socket.close(1008, 'Malformed message.');
    const { id, method, args } = parsed.data;
    if (inFlight >= limit) {
      return reply(id, { ok: false, error: workbenchError('TOO_MANY_REQUESTS', `More than ${limit} requests are waiting on this connection.`, method) });
    }
    inFlight += 1;
    try {
      reply(id, await dispatchRequest(options.services, method, args ?? null));
    } finally {
      inFlight -= 1;
    }
  };

  socket.on('error', (error: Error & { code?: string }) => {
    log.warn(`a web socket was closed after a bad frame (${error.code ?? error.name})`);
  });
  socket.on('message', (data, isBinary) => {
    if (isBinary) return socket.close(1003, 'Text messages only.');
    handleText(data.toString()).catch((error: unknown) => {
      log.error('a web socket message failed', error);
      socket.terminate();
    });
  });
}
