import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Server as SshServer, utils } from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkbenchFailure } from '../../../../main/errors';
import type { HostKeyTarget, HostKeyVerifier } from '../../../../main/ssh/host-key-verifier';
import { fingerprintSha256 } from '../../../../main/ssh/known-hosts';
import { connectEndpoint, openSshConnection } from '../../../../main/ssh/ssh-connect';

/** A TCP server on 127.0.0.1 that accepts connections and never says a word (a black hole). */
async function silentServer(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { server, port: address.port, sockets };
}

/** A verifier whose one connect offers ed25519 and judges keys with `verify`. */
function fakeVerifier(verify: (key: Buffer) => Promise<void>): HostKeyVerifier {
  return { prepare: async () => ({ algorithms: ['ssh-ed25519'], verify }) };
}

const neverCalled = fakeVerifier(async () => {
  throw new Error('the server never sent a key');
});

/** An ssh2 server on 127.0.0.1 with a fresh ed25519 host key that lets anyone in with `none`. */
async function openDoorServer(): Promise<{ server: SshServer; port: number; publicKey: Buffer }> {
  const pair = utils.generateKeyPairSync('ed25519');
  const parsed = utils.parseKey(pair.public);
  if (parsed instanceof Error || Array.isArray(parsed)) throw new Error('unreadable generated key');
  const server = new SshServer({ hostKeys: [pair.private] }, (client) => {
    client.on('authentication', (context) => context.accept());
    client.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, publicKey: parsed.getPublicSSH() };
}

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

describe('openSshConnection', () => {
  it('records the SHA256 fingerprint of the key the server offered and the verifier accepted', async () => {
    const { server, port, publicKey } = await openDoorServer();
    const seen: Buffer[] = [];
    const verifier = fakeVerifier(async (key) => {
      seen.push(key);
    });
    try {
      const connection = await openSshConnection({ jumps: [], target: { host: '127.0.0.1', port, user: 'root', identityFiles: [] } }, { verifier, prompt: async () => null });
      connection.close();
      expect(seen).toHaveLength(1);
      expect(connection.hostKeySha256).toBe(fingerprintSha256(publicKey));
      expect(connection.hostKeySha256).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    } finally {
      server.close();
    }
  });

  it('prepares the host-key check once per connect, with the endpoint\'s config policy', async () => {
    const { server, port } = await openDoorServer();
    const targets: HostKeyTarget[] = [];
    const verifier: HostKeyVerifier = {
      prepare: async (target) => {
        targets.push(target);
        return { algorithms: ['ssh-ed25519'], verify: async () => undefined };
      },
    };
    const hostKeys = { hostKeyAlias: 'kvm-alias', userKnownHostsFiles: ['/k'] };
    try {
      const connection = await openSshConnection(
        { jumps: [], target: { host: '127.0.0.1', port, user: 'root', identityFiles: [], hostKeys } },
        { verifier, prompt: async () => null },
      );
      connection.close();
      // One read of the files serves both the algorithm order and the verdict; no address without CheckHostIP.
      expect(targets).toEqual([{ host: '127.0.0.1', port, policy: hostKeys }]);
    } finally {
      server.close();
    }
  });

  it('gives the verifier\'s failure and no connection when it refuses the key', async () => {
    const { server, port } = await openDoorServer();
    const refusing = fakeVerifier(async () => {
      throw new WorkbenchFailure('HOST_KEY_MISMATCH', 'The host key changed.');
    });
    try {
      const connecting = openSshConnection({ jumps: [], target: { host: '127.0.0.1', port, user: 'root', identityFiles: [] } }, { verifier: refusing, prompt: async () => null });
      await expect(connecting).rejects.toMatchObject({ code: 'HOST_KEY_MISMATCH', message: 'The host key changed.' });
    } finally {
      server.close();
    }
  });
});
