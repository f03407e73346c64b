import type { ErrorCode } from '../../../../preload/api';

/** What the banner under a host offers for an error: try the connection again, or fix the host's settings. */
export type HostErrorAction = 'retry' | 'edit' | null;

/** The action for an error code; the hint from main says the rest. */
export function hostErrorAction(code: ErrorCode): HostErrorAction {
  switch (code) {
    case 'HOST_KEY_UNKNOWN':
    case 'CONNECTION_LOST':
    case 'CONNECTION_TIMEOUT':
    case 'CONNECTION_REFUSED':
    case 'HELPER_DEPLOY_FAILED':
    case 'HELPER_VERSION_MISMATCH':
    case 'HELPER_FAILED':
    case 'CANCELLED':
      return 'retry';
    case 'AUTH_FAILED':
    case 'SUDO_PASSWORD_REQUIRED':
    case 'VALIDATION_FAILED':
      return 'edit';
    default:
      // A changed or revoked host key is never "retried" from here: the user must check it first.
      return null;
  }
}
