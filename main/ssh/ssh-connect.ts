import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { lookup } from 'node:dns/promises';
import type { Duplex } from 'node:stream';
import { WorkbenchFailure } from '../errors';
import { createLogger } from '../logging/logger';
import type { SshEndpoint, SshRoute } from '../hosts/host-route';
import type { HostKeyVerifier } from './host-key-verifier';
import { fingerprintSha256 } from './known-hosts';
import { createAuthSession, type SecretPrompt } from './ssh-auth';
import { toSshFailure } from './ssh-errors';

const log = createLogger('ssh');

/** Everything a connect needs besides the route. */
export interface SshConnectOptions {
  readonly verifier: HostKeyVerifier;
  readonly prompt: SecretPrompt;
  /** `SSH_AUTH_SOCK`; undefined disables the agent. */
  readonly agentSocket?: string;
  /** Until the server has answered the key exchange; covers dead hosts and black-holed packets. */
  readonly handshakeTimeoutMs?: number;
  /**
   * ssh2's `readyTimeout`, which runs until authentication ends. It includes the time a person takes
   * to type a passphrase or accept a host key, so it is generous; `handshakeTimeoutMs` catches dead
   * hosts quickly.
   */
  readonly readyTimeoutMs?: number;
  readonly keepaliveIntervalMs?: number;
  readonly keepaliveCountMax?: number;
}

/** A live connection to a host (through its hops). */
export interface SshConnection {
  readonly client: Client;
  /** `user@host:port` of the target, for messages. */
  readonly label: string;
  /** `SHA256:...` of the host key the target offered on this connection and the verifier accepted. */
  readonly hostKeySha256: string;
  /** True once the connection (or any hop under it) has closed. */
  readonly closed: boolean;
  /** Called once when the connection closes; `expected` is false when it was not closed by us. */
  onClose(listener: (expected: boolean) => void): () => void;
  /** Ends the connection and every hop. */
  close(): void;
}

/** `user@host:port` for an endpoint. */
export function endpointLabel(endpoint: SshEndpoint): string {
  return `${endpoint.user}@${endpoint.host}:${endpoint.port}`;
}

const defaults = {
  handshakeTimeoutMs: 20_000,
  readyTimeoutMs: 300_000,
  keepaliveIntervalMs: 5_000,
  keepaliveCountMax: 3,
};

/** A client that has authenticated, with the fingerprint of the host key it was verified with. */
export interface VerifiedClient {
  readonly client: Client;
  /** `SHA256:...` of the key seen in this key exchange, as OpenSSH prints it. */
  readonly hostKeySha256: string;
}

function forwardThrough(client: Client, endpoint: SshEndpoint): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, endpoint.host, endpoint.port, (error, channel) => {
      if (error) reject(toSshFailure(error, endpointLabel(endpoint)));
      else resolve(channel);
    });
  });
}

async function resolveAddress(host: string, label: string): Promise<string> {
  try {
    return (await lookup(host)).address;
  } catch (error) {
    throw toSshFailure(error, label);
  }
}

/**
 * Connects to one endpoint, over `sock` when it is reached through a hop.
 *
 * The host key is checked in ssh2's `hostVerifier`, during key exchange, so a refused key ends the
 * connection before any authentication request is sent. The accepted key's fingerprint comes back
 * with the client, so what a capture records is the key this connection saw, not a file's entry.
 */
export async function connectEndpoint(
  endpoint: SshEndpoint,
  options: SshConnectOptions,
  signal?: AbortSignal,
  sock?: Duplex,
): Promise<VerifiedClient> {
  const label = endpointLabel(endpoint);
  if (signal?.aborted) throw new WorkbenchFailure('CANCELLED', `Connecting to ${label} was cancelled.`);
  const auth = createAuthSession({
    username: endpoint.user,
    target: label,
    identityFiles: endpoint.identityFiles,
    prompt: options.prompt,
    ...(options.agentSocket === undefined ? {} : { agentSocket: options.agentSocket }),
  });
  // CheckHostIP needs the address connected to; it is resolved once and connected to, as OpenSSH
  // does. Through a hop there is no address of our own (OpenSSH turns CheckHostIP off there too).
  const address = endpoint.hostKeys?.checkHostIp === true && sock === undefined ? await resolveAddress(endpoint.host, label) : undefined;
  // known_hosts is read once per connect: the same entries order the algorithms and judge the key.
  const hostKeyCheck = await options.verifier.prepare({
    host: endpoint.host,
    port: endpoint.port,
    ...(endpoint.hostKeys === undefined ? {} : { policy: endpoint.hostKeys }),
    ...(address === undefined ? {} : { address }),
  });
  const serverHostKey = [...hostKeyCheck.algorithms];
  const client = new Client();

  return new Promise<VerifiedClient>((resolve, reject) => {
    let settled = false;
    let hostKeyFailure: WorkbenchFailure | undefined;
    // Set only once the verifier accepted the key of the first key exchange (a rekey verifies again).
    let verifiedHostKey: string | undefined;

    const finish = (error?: WorkbenchFailure): void => {
      if (settled) return;
      settled = true;
      clearTimeout(handshakeTimer);
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined && verifiedHostKey !== undefined) {
        resolve({ client, hostKeySha256: verifiedHostKey });
        return;
      }
      client.end();
      // ssh2 calls hostVerifier before authentication whenever it is given, so a ready client without
      // a verified key is a guard, not a path.
      reject(error ?? new WorkbenchFailure('HOST_KEY_UNKNOWN', `${label} was authenticated without a verified host key.`, { subject: label }));
    };
    const onAbort = (): void => finish(new WorkbenchFailure('CANCELLED', `Connecting to ${label} was cancelled.`));
    const handshakeTimer = setTimeout(
      () => finish(new WorkbenchFailure('CONNECTION_TIMEOUT', `${label} did not answer in time.`, { subject: label })),
      options.handshakeTimeoutMs ?? defaults.handshakeTimeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    // The signal may have fired while the preferred algorithms were read.
    if (signal?.aborted) return onAbort();

    client.on('ready', () => finish());
    client.on('error', (error) => finish(hostKeyFailure ?? auth.failure() ?? toSshFailure(error, label)));
    client.on('close', () =>
      finish(hostKeyFailure ?? auth.failure() ?? new WorkbenchFailure('CONNECTION_LOST', `${label} closed the connection.`, { subject: label })),
    );

    const config: ConnectConfig = {
      host: address ?? endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      ...(sock === undefined ? {} : { sock }),
      readyTimeout: options.readyTimeoutMs ?? defaults.readyTimeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs ?? defaults.keepaliveIntervalMs,
      keepaliveCountMax: options.keepaliveCountMax ?? defaults.keepaliveCountMax,
      agentForward: false,
      authHandler: auth.handler,
      // ssh2's union of algorithm names is narrower than the strings we build from known_hosts.
      algorithms: { serverHostKey: serverHostKey as NonNullable<NonNullable<ConnectConfig['algorithms']>['serverHostKey']> },
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        // The server has answered the key exchange; from here a person may be deciding.
        clearTimeout(handshakeTimer);
        hostKeyCheck.verify(key).then(
          () => {
            verifiedHostKey ??= fingerprintSha256(key);
            verify(true);
          },
          (error: unknown) => {
            hostKeyFailure = toSshFailure(error, label);
            verify(false);
          },
        );
      },
    };
    client.connect(config);
  });
}

/**
 * Opens a connection along a route: each ProxyJump hop is connected (and its host key verified) in
 * turn, the next one tunnelled through it with `forwardOut`.
 */
export async function openSshConnection(route: SshRoute, options: SshConnectOptions, signal?: AbortSignal): Promise<SshConnection> {
  const clients: Client[] = [];
  const label = endpointLabel(route.target);
  let target: VerifiedClient | undefined;
  try {
    for (const endpoint of [...route.jumps, route.target]) {
      const previous = clients[clients.length - 1];
      const sock = previous === undefined ? undefined : await forwardThrough(previous, endpoint);
      target = await connectEndpoint(endpoint, options, signal, sock);
      clients.push(target.client);
    }
  } catch (error) {
    for (const client of clients.reverse()) client.end();
    throw error;
  }
  if (target === undefined) throw new WorkbenchFailure('VALIDATION_FAILED', 'A route needs a target.', { subject: label });

  const listeners = new Set<(expected: boolean) => void>();
  let closed = false;
  let closing = false;
  const onAnyClose = (): void => {
    if (closed) return;
    closed = true;
    for (const client of clients) client.end();
    log.info(`connection to ${label} closed${closing ? '' : ' unexpectedly'}`);
    for (const listener of listeners) listener(closing);
  };
  for (const client of clients) {
    client.on('close', onAnyClose);
    // Late errors (keepalive timeout, reset) are followed by 'close'; listening keeps them from crashing the process.
    client.on('error', (error) => log.warn(`connection to ${label}: ${error.message}`));
  }

  return {
    client: target.client,
    label,
    hostKeySha256: target.hostKeySha256,
    get closed() {
      return closed;
    },
    onClose(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closing = true;
      for (const client of [...clients].reverse()) client.end();
    },
  };
}
