import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostKeyVerifier } from '../../../../main/ssh/host-key-verifier';
import { connectEndpoint } from '../../../../main/ssh/ssh-connect';

/** A TCP server on 127.0.0.1 that accepts connections and never says a word (a black hole). */
async function silentServer(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { server, port: address.port, sockets };
}

const neverCalled: HostKeyVerifier = {
  verify: async () => {
    throw new Error('the server never sent a key');
  },
  preferredAlgorithms: async () => ['ssh-ed25519'],
};

describe('connectEndpoint', () => {
  let cleanup: () => void = () => undefined;
  afterEach(() => cleanup());

  it('gives CONNECTION_TIMEOUT when the server never answers the key exchange', async () => {
    const { server, port, sockets } = await silentServer();
    cleanup = () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    };
    const connecting = connectEndpoint(
      { host: '127.0.0.1', port, user: 'root', identityFiles: [] },
      { verifier: neverCalled, prompt: async () => null, handshakeTimeoutMs: 200 },
    );
    await expect(connecting).rejects.toMatchObject({ code: 'CONNECTION_TIMEOUT', error: { subject: `root@127.0.0.1:${port}` } });
  });

  it('gives CANCELLED when the signal fires while connecting', async () => {
    const { server, port, sockets } = await silentServer();
    cleanup = () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    };
    const controller = new AbortController();
    const connecting = connectEndpoint(
      { host: '127.0.0.1', port, user: 'root', identityFiles: [] },
      { verifier: neverCalled, prompt: async () => null },
      controller.signal,
    );
    controller.abort();
    await expect(connecting).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
