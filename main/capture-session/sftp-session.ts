import type { SFTPWrapper } from 'ssh2';
import { WorkbenchFailure } from '../errors';
import type { SshConnection } from '../ssh/ssh-connect';

/** Opens an SFTP session on a connection; errors surface through each call, never as an unheard event. */
export function openSftpSession(connection: SshConnection): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => {
    connection.client.sftp((error, sftp) => {
      if (error) {
        reject(new WorkbenchFailure('CONNECTION_LOST', `SFTP is not available on ${connection.label}.`, { subject: connection.label, cause: error }));
        return;
      }
      sftp.on('error', () => undefined);
      resolve(sftp);
    });
  });
}

/** Wraps one callback-style SFTP call as a promise. */
export function sftpCall<T>(start: (callback: (error: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value))));
}
