import type { ErrorCode } from '../../../preload/api';

/** How an error is presented: its tone and headline. */
export interface ErrorKind {
  readonly tone: 'danger' | 'warning' | 'info';
  readonly headline: string;
}

/** The presentation of an error, decided by its code alone (never by message text). */
export function errorKindFor(code: ErrorCode): ErrorKind {
  switch (code) {
    case 'BUNDLE_PATH_TRAVERSAL':
    case 'BUNDLE_ABSOLUTE_PATH':
    case 'BUNDLE_LINK_ENTRY':
    case 'BUNDLE_DUPLICATE_ENTRY':
    case 'BUNDLE_UNLISTED_ENTRY':
    case 'BUNDLE_HASH_MISMATCH':
    case 'BUNDLE_SIZE_MISMATCH':
    case 'BUNDLE_CUSTODY_BROKEN':
    case 'BUNDLE_DOCUMENT_TOO_LARGE':
    case 'BUNDLE_DOCUMENT_TOO_DEEP':
    case 'BUNDLE_SIGNATURE_MALFORMED':
    case 'BUNDLE_SIGNATURE_INVALID':
    case 'BUNDLE_SIGNATURE_MANIFEST_MISMATCH':
    case 'BUNDLE_SIGNATURE_CUSTODY_MISMATCH':
      return { tone: 'danger', headline: 'Integrity problem: possible tampering' };
    case 'BUNDLE_NOT_FOUND':
    case 'BUNDLE_UNREADABLE':
    case 'BUNDLE_TRUNCATED':
    case 'BUNDLE_MANIFEST_MISSING':
    case 'BUNDLE_SCHEMA_INVALID':
    case 'BUNDLE_VERSION_UNSUPPORTED':
    case 'BUNDLE_ARTIFACT_MISSING':
    case 'BUNDLE_DOCUMENT_INVALID':
    case 'BUNDLE_NOT_A_CAPTURE':
      return { tone: 'warning', headline: 'The capture could not be opened' };
    case 'BUNDLE_CUSTODY_TIME_REVERSED':
    case 'BUNDLE_DUPLICATE_PID':
      return { tone: 'warning', headline: 'Opened, with something to check' };
    case 'WORKSTATION_KEY_UNUSABLE':
      return { tone: 'warning', headline: 'The signing key cannot be used' };
    case 'HOST_KEY_UNKNOWN':
    case 'HOST_KEY_MISMATCH':
    case 'HOST_KEY_REVOKED':
    case 'HOST_KEY_UNSUPPORTED':
      return { tone: 'danger', headline: 'Host key not trusted' };
    case 'AUTH_FAILED':
    case 'SUDO_PASSWORD_REQUIRED':
      return { tone: 'warning', headline: 'Not allowed on the host' };
    case 'CONNECTION_REFUSED':
    case 'CONNECTION_TIMEOUT':
    case 'CONNECTION_LOST':
      return { tone: 'warning', headline: 'Connection problem' };
    case 'HELPER_DEPLOY_FAILED':
    case 'HELPER_VERSION_MISMATCH':
    case 'HELPER_FAILED':
    case 'VM_BUSY':
    case 'VM_NOT_CLONEABLE':
    case 'IMPACT_BUDGET_EXCEEDED':
      return { tone: 'warning', headline: 'The host could not do it' };
    case 'LOAD_TARGET_REFUSED':
      return { tone: 'warning', headline: 'Load target refused: not a twin forward on loopback' };
    case 'TWIN_NOT_FOUND':
      return { tone: 'warning', headline: 'The twin is gone' };
    case 'TWIN_LEASE_LOST':
      return { tone: 'warning', headline: 'The twin\'s lease could not be kept' };
    case 'TWIN_UNRESPONSIVE':
      return { tone: 'warning', headline: 'The twin does not answer' };
    case 'FORWARD_FAILED':
      return { tone: 'warning', headline: 'The forward to the twin could not be opened' };
    case 'EXPERIMENT_FAILED':
      return { tone: 'warning', headline: 'The experiment did not finish' };
    case 'TOOLKIT_PREREQUISITE_MISSING':
    case 'TOOLKIT_BUILD_FAILED':
    case 'TOOLKIT_NOT_BUILT':
      return { tone: 'warning', headline: 'The in-guest toolkit could not be prepared on this machine' };
    case 'CANCELLED':
      return { tone: 'info', headline: 'Cancelled' };
    case 'NOT_SUPPORTED':
      return { tone: 'info', headline: 'Not available here' };
    case 'NOT_FOUND':
      return { tone: 'warning', headline: 'Not found' };
    case 'TOO_MANY_REQUESTS':
      return { tone: 'warning', headline: 'Too many requests at once' };
    case 'VALIDATION_FAILED':
    case 'UNTRUSTED_SENDER':
    case 'INTERNAL':
      return { tone: 'danger', headline: 'Something went wrong' };
  }
}
