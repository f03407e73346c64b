import { readFile } from 'node:fs/promises';
import { Client, type ClientChannel } from 'ssh2';
import type { CaptureGuestLogin } from '../../preload/api';
import { WorkbenchFailure } from '../errors';
import { registerSecret } from '../logging/redact';
import { fingerprintSha256 } from '../ssh/known-hosts';
import type { SshConnection } from '../ssh/ssh-connect';
import { toSshFailure } from '../ssh/ssh-errors';

/**
 * Logs in to the clone's sshd through a loopback forward on the host (ssh2 `forwardOut` over the
 * existing host connection), as a connection the SSH helpers (`runRemoteCommand`, SFTP) can use.
 *
 * The clone carries the production VM's host key. It is checked against the fingerprint the user
 * accepted (`login.hostKeySha256`); without one, or with another, the login stops with
 * HOST_KEY_UNKNOWN / HOST_KEY_MISMATCH naming the offered fingerprint, so it can be checked and given.
 */
export async function openGuestConnection(host: SshConnection, port: number, login: CaptureGuestLogin, label: string, signal?: AbortSignal): Promise<SshConnection> {
  const channel = await new Promise<ClientChannel>((resolve, reject) => {
    host.client.forwardOut('127.0.0.1', 0, '127.0.0.1', port, (error, stream) => (error ? reject(toSshFailure(error, label)) : resolve(stream)));
  });
  let privateKey: Buffer | undefined;
  if (login.identityFile !== undefined && login.identityFile !== '') {
    try {
      privateKey = await readFile(login.identityFile);
    } catch (error) {
      throw new WorkbenchFailure('AUTH_FAILED', `Cannot read the guest key ${login.identityFile}.`, { subject: login.identityFile, cause: error });
    }
  }
  if (login.password !== undefined) registerSecret(login.password);
  const client = new Client();
  let offered: string | null = null;
  const closeListeners = new Set<(expected: boolean) => void>();
  let closed = false;
  let closing = false;
  const hostKeySha256 = await new Promise<string>((resolve, reject) => {
    const onAbort = (): void => {
      client.end();
      reject(new WorkbenchFailure('CANCELLED', `Logging in to ${label} was cancelled.`));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    client.on('ready', () => {
      signal?.removeEventListener('abort', onAbort);
      // hostVerifier runs before authentication, so a ready client has had its key checked.
      if (offered !== null) return resolve(offered);
      client.end();
      reject(new WorkbenchFailure('HOST_KEY_UNKNOWN', `${label} was authenticated without a checked host key.`, { subject: label }));
    });
    client.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      if (offered !== null && offered !== login.hostKeySha256) {
        const code = login.hostKeySha256 === undefined ? 'HOST_KEY_UNKNOWN' : 'HOST_KEY_MISMATCH';
        reject(
          new WorkbenchFailure(code, `The clone's SSH host key is ${offered}${login.hostKeySha256 === undefined ? '' : `, not ${login.hostKeySha256}`}.`, {
            subject: label,
            hint: "It is the production VM's own key. Compare it with the VM's known key, then give it as the accepted fingerprint.",
          }),
        );
        return;
      }
      reject(toSshFailure(error, label));
    });
    client.on('close', () => {
      closed = true;
      for (const listener of closeListeners) listener(closing);
    });
    client.connect({
      sock: channel,
      username: login.user,
      ...(privateKey === undefined ? {} : { privateKey }),
      ...(login.password === undefined ? {} : { password: login.password }),
      readyTimeout: 60_000,
      keepaliveInterval: 5_000,
      agentForward: false,
      hostVerifier: (key: Buffer) => {
        offered = fingerprintSha256(key);
        return offered === login.hostKeySha256;
      },
    });
  });
  return {
    client,
    label,
    hostKeySha256,
    get closed() {
      return closed;
    },
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    close() {
      closing = true;
      client.end();
    },
  };
}
