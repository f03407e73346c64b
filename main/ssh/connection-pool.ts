import type { SessionState, SessionStateEvent } from '../../preload/api';
import { WorkbenchFailure, toWorkbenchError } from '../errors';
import { createLogger } from '../logging/logger';
import type { SshConnection } from './ssh-connect';
import { abortableDelay } from '../jobs/abortable-delay';

const log = createLogger('ssh');

/** How lost connections are retried. */
export interface ReconnectPolicy {
  /** 0 turns automatic reconnect off; `acquire` still reconnects on demand. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** What the pool is built from; `open` is the real connect in the app and a fake in unit tests. */
export interface ConnectionPoolOptions {
  readonly open: (hostId: string, signal: AbortSignal) => Promise<SshConnection>;
  readonly onState: (event: SessionStateEvent) => void;
  readonly reconnect?: ReconnectPolicy;
  /** Waits between reconnect attempts; injectable so tests need no clock. */
  readonly delay?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** One shared connection per host, with state events and reconnect. */
export interface ConnectionPool {
  /** The host's live connection, connecting (once, shared by all callers) when there is none. */
  acquire(hostId: string, signal?: AbortSignal): Promise<SshConnection>;
  /** Closes the host's connection and stops any reconnect; state becomes `disconnected`. */
  disconnect(hostId: string): void;
  state(hostId: string): SessionState;
  /** Closes every connection (app quit). */
  closeAll(): void;
}

const defaultPolicy: ReconnectPolicy = { attempts: 5, baseDelayMs: 1_000, maxDelayMs: 30_000 };

/** The wait before reconnect attempt `attempt` (0-based): doubling from the base, capped. */
export function backoffDelay(policy: ReconnectPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
}

interface HostSlot {
  state: SessionState;
  connection?: SshConnection;
  pending?: Promise<SshConnection>;
  /** Aborted by `disconnect`: ends a connect or a reconnect loop in flight. */
  lifetime: AbortController;
}

/** Creates the pool. */
export function createConnectionPool(options: ConnectionPoolOptions): ConnectionPool {
  const policy = options.reconnect ?? defaultPolicy;
  const delay = options.delay ?? abortableDelay;
  const slots = new Map<string, HostSlot>();

  const slotFor = (hostId: string): HostSlot => {
    let slot = slots.get(hostId);
    if (!slot) {
      slot = { state: 'disconnected', lifetime: new AbortController() };
      slots.set(hostId, slot);
    }
    return slot;
  };

  const setState = (hostId: string, slot: HostSlot, state: SessionState, error?: unknown): void => {
    slot.state = state;
    options.onState({ hostId, state, ...(error === undefined ? {} : { error: toWorkbenchError(error) }) });
  };

  const connect = (hostId: string, slot: HostSlot, state: 'connecting' | 'reconnecting'): Promise<SshConnection> => {
    if (slot.pending) return slot.pending;
    setState(hostId, slot, state);
    const lifetime = slot.lifetime;
    const pending = options.open(hostId, lifetime.signal).then(
      (connection) => {
        slot.pending = undefined;
        if (lifetime.signal.aborted) {
          connection.close();
          throw new WorkbenchFailure('CANCELLED', 'Disconnected while connecting.');
        }
        slot.connection = connection;
        connection.onClose((expected) => onClosed(hostId, slot, connection, expected));
        setState(hostId, slot, 'connected');
        return connection;
      },
      (error: unknown) => {
        slot.pending = undefined;
        if (!lifetime.signal.aborted) setState(hostId, slot, 'disconnected', error);
        throw error;
      },
    );
    slot.pending = pending;
    return pending;
  };

  const reconnectLoop = async (hostId: string, slot: HostSlot): Promise<void> => {
    const lifetime = slot.lifetime;
    for (let attempt = 0; attempt < policy.attempts; attempt += 1) {
      try {
        await delay(backoffDelay(policy, attempt), lifetime.signal);
        await connect(hostId, slot, 'reconnecting');
        return;
      } catch (error) {
        if (lifetime.signal.aborted) return;
        const code = toWorkbenchError(error).code;
        log.info(`reconnect ${attempt + 1}/${policy.attempts} to ${hostId} failed: ${code}`);
        // Retrying cannot fix a refused host key or credentials; it would only repeat prompts.
        if (code.startsWith('HOST_KEY_') || code === 'AUTH_FAILED' || code === 'CANCELLED') return;
      }
    }
  };

  const onClosed = (hostId: string, slot: HostSlot, connection: SshConnection, expected: boolean): void => {
    if (slot.connection !== connection) return;
    slot.connection = undefined;
    if (expected || slot.lifetime.signal.aborted) {
      setState(hostId, slot, 'disconnected');
      return;
    }
    setState(hostId, slot, 'lost', new WorkbenchFailure('CONNECTION_LOST', `The connection to ${connection.label} was lost.`, { subject: connection.label }));
    if (policy.attempts > 0) void reconnectLoop(hostId, slot);
  };

  const disconnect = (hostId: string): void => {
    const slot = slots.get(hostId);
    if (!slot) return;
    slot.lifetime.abort();
    slot.lifetime = new AbortController();
    const connection = slot.connection;
    slot.connection = undefined;
    slot.pending = undefined;
    connection?.close();
    if (slot.state !== 'disconnected') setState(hostId, slot, 'disconnected');
  };

  return {
    async acquire(hostId, signal) {
      const slot = slotFor(hostId);
      if (slot.connection && !slot.connection.closed) return slot.connection;
      const pending = connect(hostId, slot, slot.state === 'lost' ? 'reconnecting' : 'connecting');
      if (!signal) return pending;
      // A caller's cancel stops its wait, not the shared connect other jobs may be waiting on.
      return new Promise<SshConnection>((resolve, reject) => {
        const onAbort = (): void => reject(new WorkbenchFailure('CANCELLED', 'Cancelled.'));
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    },
    disconnect,
    state: (hostId) => slots.get(hostId)?.state ?? 'disconnected',
    closeAll() {
      for (const hostId of [...slots.keys()]) disconnect(hostId);
    },
  };
}
