import type { ErrorCode } from '../../preload/api';
import { WorkbenchFailure, isAbortError } from '../errors';

/** The fields ssh2 and Node add to the errors they emit. */
interface SshLikeError {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly level?: unknown;
}

const socketCodes: Record<string, ErrorCode> = {
  ECONNREFUSED: 'CONNECTION_REFUSED',
  EHOSTUNREACH: 'CONNECTION_REFUSED',
  ENETUNREACH: 'CONNECTION_REFUSED',
  ENOTFOUND: 'CONNECTION_REFUSED',
  EAI_AGAIN: 'CONNECTION_TIMEOUT',
  ETIMEDOUT: 'CONNECTION_TIMEOUT',
  ECONNRESET: 'CONNECTION_LOST',
  EPIPE: 'CONNECTION_LOST',
};

function codeFor(error: SshLikeError): ErrorCode {
  const code = typeof error.code === 'string' ? error.code : '';
  const level = typeof error.level === 'string' ? error.level : '';
  const message = typeof error.message === 'string' ? error.message : '';
  if (socketCodes[code]) return socketCodes[code];
  // ssh2 reports a dead link found by keepalives as a timeout; for the user the link is lost.
  if (/keepalive/i.test(message)) return 'CONNECTION_LOST';
  if (level === 'client-authentication' || /authentication methods failed/i.test(message)) return 'AUTH_FAILED';
  if (level === 'client-timeout' || /timed out/i.test(message)) return 'CONNECTION_TIMEOUT';
  if (/host key verification failed|host denied/i.test(message)) return 'HOST_KEY_MISMATCH';
  if (level === 'client-socket' || /not connected|no response from server|keepalive|connection lost/i.test(message)) {
    return 'CONNECTION_LOST';
  }
  if (level === 'protocol' || level === 'handshake' || level === 'client-ssh') return 'CONNECTION_LOST';
  return 'INTERNAL';
}

function describe(code: ErrorCode, target: string): string {
  switch (code) {
    case 'AUTH_FAILED':
      return `${target} refused every authentication method offered.`;
    case 'CONNECTION_REFUSED':
      return `Could not reach ${target}: the connection was refused or the name did not resolve.`;
    case 'CONNECTION_TIMEOUT':
      return `${target} did not answer in time.`;
    case 'CONNECTION_LOST':
      return `The connection to ${target} was lost.`;
    case 'HOST_KEY_MISMATCH':
      return `The host key of ${target} was refused.`;
    default:
      return `SSH to ${target} failed.`;
  }
}

/**
 * Maps anything ssh2, the socket or our own checks threw to a WorkbenchFailure with a code and hint.
 *
 * A WorkbenchFailure passes through unchanged (a host key refusal keeps its fingerprints). The raw
 * library message is kept only as the cause, for the log.
 */
export function toSshFailure(error: unknown, target: string): WorkbenchFailure {
  if (error instanceof WorkbenchFailure) return error;
  if (isAbortError(error)) return new WorkbenchFailure('CANCELLED', 'Cancelled.', { cause: error });
  const shaped: SshLikeError = typeof error === 'object' && error !== null ? (error as SshLikeError) : {};
  const code = codeFor(shaped);
  return new WorkbenchFailure(code, describe(code, target), { subject: target, cause: error });
}
