import type { ErrorCode, WorkbenchError } from '../preload/api';

/**
 * What to do about each error, shown under its message.
 *
 * Kept beside the codes' meanings so a new code cannot ship without advice (the Record makes the
 * compiler ask for one).
 */
const hints: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'The request was malformed. This is a bug in the app; please report it with the log.',
  UNTRUSTED_SENDER: 'Only the Civic Workbench window may call its services. Reload the window.',
  NOT_SUPPORTED: 'This action is not available in this mode. Use the desktop app, or type the path instead.',
  NOT_FOUND: 'It may have been closed or removed. Refresh the view and try again.',
  CANCELLED: 'The work was cancelled; nothing was left half done. Start it again when ready.',
  INTERNAL: 'An unexpected error. The log has the details; please report it.',
  TOO_MANY_REQUESTS: 'Too many requests were waiting on this connection, so this one was refused. Wait for the others to finish, then try again.',
  BUNDLE_NOT_FOUND: 'Check the path: a capture is a folder with manifest.json or a .civic file.',
  BUNDLE_UNREADABLE: 'Check that the file is readable by you and not still being copied.',
  BUNDLE_TRUNCATED: 'The file ends early: it was probably cut off while copying. Copy it again from its source.',
  BUNDLE_MANIFEST_MISSING: 'This is not a capture bundle, or its manifest.json was removed.',
  BUNDLE_SCHEMA_INVALID: 'The manifest does not follow the capture format. The capture may be damaged or forged.',
  BUNDLE_VERSION_UNSUPPORTED: 'The capture was written by a newer Civic Workbench. Update the app to open it.',
  BUNDLE_PATH_TRAVERSAL: 'The capture names a path outside itself and was refused. Treat it as hostile.',
  BUNDLE_ABSOLUTE_PATH: 'The capture names an absolute path and was refused. Treat it as hostile.',
  BUNDLE_LINK_ENTRY: 'The capture contains a link, which captures never do. Treat it as hostile.',
  BUNDLE_DUPLICATE_ENTRY: 'The capture holds the same entry twice. Treat it as damaged or hostile.',
  BUNDLE_UNLISTED_ENTRY: 'The capture holds a file its manifest does not list. It was added after sealing.',
  BUNDLE_ARTIFACT_MISSING: 'An artifact listed in the manifest is missing. Copy the capture again from its source.',
  BUNDLE_SIZE_MISMATCH: 'An artifact is not the size its manifest records: it was changed or cut off.',
  BUNDLE_HASH_MISMATCH: 'An artifact does not match its recorded SHA-256: it was changed after capture. Do not rely on it.',
  BUNDLE_DOCUMENT_TOO_LARGE: 'A JSON document is larger than the reader accepts. The capture may be hostile.',
  BUNDLE_DOCUMENT_TOO_DEEP: 'A JSON document nests deeper than the reader accepts. The capture may be hostile.',
  BUNDLE_DOCUMENT_INVALID: 'A JSON document is malformed or does not follow its schema.',
  BUNDLE_CUSTODY_BROKEN: 'The custody log chain is broken: an entry was changed, removed or inserted.',
  BUNDLE_NOT_A_CAPTURE: 'Choose a capture: a folder holding manifest.json and custody.jsonl, or a .civic file.',
  BUNDLE_CUSTODY_TIME_REVERSED: 'Custody times go backwards. Older app versions wrote them out of order; otherwise the log was edited.',
  BUNDLE_DUPLICATE_PID: 'Several processes share a pid (a pid reused during collection, or an edited list). Each is listed and opens on its own.',
  BUNDLE_SIGNATURE_MALFORMED: 'The signature file is damaged or not in the capture format. Do not rely on who sealed it.',
  BUNDLE_SIGNATURE_INVALID: 'The signature does not verify with the public key it names: the key was swapped or the signature edited.',
  BUNDLE_SIGNATURE_MANIFEST_MISMATCH: 'The manifest is not the one that was signed: it was changed after sealing. Do not rely on it.',
  BUNDLE_SIGNATURE_CUSTODY_MISMATCH: 'The custody log is not the one that was signed: it was edited and re-chained. Do not rely on it.',
  WORKSTATION_KEY_UNUSABLE: 'The workstation signing key cannot be read or has loose permissions. Fix its permissions (0600) or move it away to make a new one.',
  HOST_KEY_UNKNOWN: 'Compare the fingerprint with one from the host owner before accepting it.',
  HOST_KEY_MISMATCH:
    'The host key changed. If the host was not reinstalled, someone may be intercepting. Remove the old line from known_hosts only once you have checked the new fingerprint.',
  HOST_KEY_REVOKED: 'This host key is marked @revoked in known_hosts. Ask the host owner for its new key.',
  HOST_KEY_UNSUPPORTED: 'This host uses an SSH certificate authority, which is not supported yet. Add the host key itself to known_hosts.',
  AUTH_FAILED: 'Check the user name and key or password. `ssh -v` to the same host shows which methods it offers.',
  CONNECTION_REFUSED: 'Nothing listens at that address and port. Check the host name, port and that sshd runs.',
  CONNECTION_TIMEOUT: 'The host did not answer in time. Check the network, VPN or jump host.',
  CONNECTION_LOST: 'The connection dropped. Work on the host goes on; reconnect to see its state.',
  SUDO_PASSWORD_REQUIRED:
    'This user needs a password for sudo. Allow the helper with NOPASSWD in sudoers, or connect as root.',
  HELPER_DEPLOY_FAILED: 'Check free space and write access in the remote cache folder (~/.cache/civic-workbench).',
  HELPER_VERSION_MISMATCH: 'The host runs another helper version. Redeploy the helper from the host menu.',
  HELPER_FAILED: 'The host helper reported a failure. Its message says what; the host log has details.',
  VM_BUSY: 'A clone of this VM already exists. Destroy it first, or wait for the running job.',
  VM_NOT_CLONEABLE: 'This VM cannot be cloned safely; the reason says why.',
  IMPACT_BUDGET_EXCEEDED: 'Cloning would pause production longer than allowed. The VM was resumed; try again when it is less busy.',
  LOAD_TARGET_REFUSED: 'The load driver aims only at the twin\'s forwarded ports on 127.0.0.1 or ::1. Pick one of the twin\'s forwards as the target.',
  TWIN_NOT_FOUND: 'The host no longer lists this twin: its lease ran out or it was destroyed. Start a new twin from the VM in Hosts.',
  TWIN_LEASE_LOST: 'The lease could not be renewed (the connection to the host is gone). The host destroys the twin when the lease runs out; reconnect to renew it before then.',
  TWIN_UNRESPONSIVE: 'The twin stopped answering (its guest agent or its service). Destroy it and start a new twin; production was not touched.',
  FORWARD_FAILED: 'The forward could not be opened. Pick another port, or check that the service listens in the twin.',
  EXPERIMENT_FAILED: 'The experiment stopped early; what was measured is kept in its capture. The message says which step failed.',
  TOOLKIT_PREREQUISITE_MISSING: 'Install the Debian packages the message names (`sudo apt-get install -y ...`), then start the capture again. Nothing was done on the host.',
  TOOLKIT_BUILD_FAILED: 'Building the in-guest toolkit on this machine failed; the log has the build output. Run `npm run toolkit` to see it, then start the capture again.',
  TOOLKIT_NOT_BUILT: 'Run `bash bin/setup` (or `npm run toolkit`) from the source tree on this machine, then start the capture again.',
};

/** The hint for a code. */
export function hintFor(code: ErrorCode): string {
  return hints[code];
}

/**
 * An expected failure inside main, carrying the value that crosses the boundary.
 *
 * Services throw it; the adapters turn it into `{ ok: false, error }`.
 */
export class WorkbenchFailure extends Error {
  readonly error: WorkbenchError;

  constructor(code: ErrorCode, message: string, options: { subject?: string; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WorkbenchFailure';
    this.error = {
      code,
      message,
      hint: options.hint ?? hintFor(code),
      ...(options.subject === undefined ? {} : { subject: options.subject }),
    };
  }

  get code(): ErrorCode {
    return this.error.code;
  }
}

/** Builds an error value without throwing. */
export function workbenchError(code: ErrorCode, message: string, subject?: string): WorkbenchError {
  return { code, message, hint: hintFor(code), ...(subject === undefined ? {} : { subject }) };
}

/** True when the value is an AbortSignal's reason or a DOM AbortError. */
export function isAbortError(value: unknown): boolean {
  return value instanceof Error && (value.name === 'AbortError' || value.name === 'CancelledError');
}

/**
 * Turns anything thrown into an error value.
 *
 * Unknown errors become INTERNAL with a generic message: their text may hold paths or secrets and
 * goes to the log instead.
 */
export function toWorkbenchError(value: unknown): WorkbenchError {
  if (value instanceof WorkbenchFailure) return value.error;
  if (isAbortError(value)) return workbenchError('CANCELLED', 'Cancelled.');
  return workbenchError('INTERNAL', 'Something went wrong inside Civic Workbench.');
}

/** Throws CANCELLED when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new WorkbenchFailure('CANCELLED', 'Cancelled.');
}
