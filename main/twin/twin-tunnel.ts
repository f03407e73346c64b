import { createServer, type Server, type Socket } from 'node:net';
import type { SshConnection } from '../ssh/ssh-connect';
import { WorkbenchFailure } from '../errors';
import { createLogger } from '../logging/logger';

const log = createLogger('twin-tunnel');

/** A listener on this machine's loopback whose connections go to a port on the host's loopback. */
export interface TwinTunnel {
  readonly localPort: number;
  readonly hostPort: number;
  close(): Promise<void>;
}

/**
 * Opens 127.0.0.1:<free port> here; each connection becomes an SSH `direct-tcpip` channel to
 * 127.0.0.1:`hostPort` on the KVM host (the twin's forward), so the twin's web UI opens in a local
 * browser and nothing on the host listens beyond its loopback.
 *
 * `connection` is asked for on each accept: a connection that dropped and came back is used as it is now.
 */
export async function openTwinTunnel(connection: () => Promise<SshConnection>, hostPort: number, label: string): Promise<TwinTunnel> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.pause();
    connection()
      .then(
        (ssh) =>
          new Promise<void>((resolve, reject) => {
            ssh.client.forwardOut('127.0.0.1', socket.localPort ?? 0, '127.0.0.1', hostPort, (error, channel) => {
              if (error) return reject(error);
              channel.on('error', () => socket.destroy());
              socket.pipe(channel).pipe(socket);
              socket.on('close', () => channel.close());
              channel.on('close', () => socket.destroy());
              socket.resume();
              resolve();
            });
          }),
      )
      .catch((error: unknown) => {
        log.warn(`tunnel to ${label} 127.0.0.1:${hostPort} refused a connection: ${String(error)}`);
        socket.destroy();
      });
  });
  const localPort = await new Promise<number>((resolve, reject) => {
    server.once('error', (error) => reject(new WorkbenchFailure('FORWARD_FAILED', `Could not listen on this machine's loopback for ${label}.`, { cause: error })));
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
  return {
    localPort,
    hostPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
