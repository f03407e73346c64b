/**
 * The one contract between the renderer and the services.
 *
 * Two adapters carry it: the Electron preload (`preload/index.ts`) and the local web mode
 * (`renderer/src/api/web-adapter.ts` talking to `main/web/`). Types only: this file imports nothing,
 * so the renderer, main and tests can all depend on it without pulling in a runtime.
 */

// ---------------------------------------------------------------------------------------------
// Results and errors
// ---------------------------------------------------------------------------------------------

/**
 * Every error the services can report.
 *
 * A closed union: the UI switches on `code`, never on message text. Add a code here, then give it a
 * hint in `main/errors.ts`.
 */
export type ErrorCode =
  // Transport and contract
  | 'VALIDATION_FAILED'
  | 'UNTRUSTED_SENDER'
  | 'NOT_SUPPORTED'
  | 'NOT_FOUND'
  | 'CANCELLED'
  | 'INTERNAL'
  // Capture bundles
  | 'BUNDLE_NOT_FOUND'
  | 'BUNDLE_UNREADABLE'
  | 'BUNDLE_TRUNCATED'
  | 'BUNDLE_MANIFEST_MISSING'
  | 'BUNDLE_SCHEMA_INVALID'
  | 'BUNDLE_VERSION_UNSUPPORTED'
  | 'BUNDLE_PATH_TRAVERSAL'
  | 'BUNDLE_ABSOLUTE_PATH'
  | 'BUNDLE_LINK_ENTRY'
  | 'BUNDLE_DUPLICATE_ENTRY'
  | 'BUNDLE_UNLISTED_ENTRY'
  | 'BUNDLE_ARTIFACT_MISSING'
  | 'BUNDLE_SIZE_MISMATCH'
  | 'BUNDLE_HASH_MISMATCH'
  | 'BUNDLE_DOCUMENT_TOO_LARGE'
  | 'BUNDLE_DOCUMENT_TOO_DEEP'
  | 'BUNDLE_DOCUMENT_INVALID'
  | 'BUNDLE_CUSTODY_BROKEN'
  // SSH and hosts
  | 'HOST_KEY_UNKNOWN'
  | 'HOST_KEY_MISMATCH'
  | 'HOST_KEY_REVOKED'
  | 'HOST_KEY_UNSUPPORTED'
  | 'AUTH_FAILED'
  | 'CONNECTION_REFUSED'
  | 'CONNECTION_TIMEOUT'
  | 'CONNECTION_LOST'
  | 'SUDO_PASSWORD_REQUIRED'
  // Host helper
  | 'HELPER_DEPLOY_FAILED'
  | 'HELPER_VERSION_MISMATCH'
  | 'HELPER_FAILED'
  | 'VM_BUSY'
  | 'VM_NOT_CLONEABLE'
  | 'IMPACT_BUDGET_EXCEEDED';

/** An error as it crosses the boundary: a value, never a thrown exception. */
export interface WorkbenchError {
  readonly code: ErrorCode;
  /** What happened, in one sentence a user can read. */
  readonly message: string;
  /** What to do about it. */
  readonly hint: string;
  /** The artifact, host or field the error is about, when there is one. */
  readonly subject?: string;
}

/** The outcome of every request. */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: WorkbenchError };

// ---------------------------------------------------------------------------------------------
// App and jobs
// ---------------------------------------------------------------------------------------------

/** Which adapter carries the contract. */
export type TransportKind = 'electron' | 'web';

/** Facts about the running app. */
export interface AppInfo {
  readonly name: string;
  readonly version: string;
  readonly transport: TransportKind;
  readonly platform: string;
  /** Whether a native file dialog exists (Electron) or paths are typed or dropped (web mode). */
  readonly hasNativeDialogs: boolean;
}

/** Kinds of long work the job runner carries. */
export type JobKind = 'open-capture' | 'verify-capture' | 'connect-host' | 'clone' | 'collect';

/** The life of a job. */
export type JobState = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A job as the Jobs view shows it. */
export interface JobSnapshot {
  readonly jobId: string;
  readonly kind: JobKind;
  readonly title: string;
  readonly state: JobState;
  /** 0..1 */
  readonly value: number;
  /** The current step, in words. */
  readonly step: string;
  /** The last raw line of output, if any: for the curious, not for parsing. */
  readonly lastLine?: string;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly error?: WorkbenchError;
}

/** A progress report. */
export interface JobProgressEvent {
  readonly job: JobSnapshot;
}

// ---------------------------------------------------------------------------------------------
// Captures
// ---------------------------------------------------------------------------------------------

/** A capture the user opened before. */
export interface RecentCapture {
  readonly path: string;
  readonly title: string;
  readonly openedAt: string;
}

/** Integrity of an opened capture. */
export interface IntegrityReport {
  readonly verified: boolean;
  readonly artifactsChecked: number;
  readonly bytesChecked: number;
  readonly custodyEntries: number;
  /** Every problem found, each naming its artifact. Empty when verified. */
  readonly problems: readonly WorkbenchError[];
}

/** A command the helper ran during the capture. */
export interface CommandRecord {
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly startedAt: string;
  readonly endedAt: string;
}

/** One artifact of a capture, as listed in its manifest. */
export interface ArtifactRecord {
  readonly path: string;
  readonly mediaType: string;
  readonly size: number;
  readonly sha256: string;
  readonly role?: string;
}

/** One entry of the hash-chained custody log. */
export interface CustodyEntry {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly sha256?: string;
  readonly prev: string;
  readonly hash: string;
}

/** Where a capture came from. */
export interface Provenance {
  readonly schemaVersion: number;
  readonly captureId: string;
  readonly toolVersion: string;
  readonly helperVersion: string;
  readonly host: { readonly name: string; readonly hostKeySha256: string };
  readonly vm: { readonly name: string; readonly uuid: string };
  readonly cloneId: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly commands: readonly CommandRecord[];
  readonly artifacts: readonly ArtifactRecord[];
  readonly custody: readonly CustodyEntry[];
}

/** An opened capture: what the Review view needs first. */
export interface CaptureOverview {
  /** A handle valid for this run of the app. */
  readonly handle: string;
  readonly path: string;
  readonly title: string;
  readonly provenance: Provenance;
  readonly integrity: IntegrityReport;
  readonly processCount: number;
  readonly findingCount: number;
}

/**
 * Text from the guest, made safe to show.
 *
 * Guest bytes are hostile: `text` has control characters, invalid UTF-8 and bidi overrides escaped
 * visibly (`\x1b`, `\u202e`), and is capped. `truncated` says a cap applied.
 */
export interface GuestText {
  readonly text: string;
  readonly truncated?: boolean;
}

/** One process of a capture. */
export interface ProcessRow {
  readonly pid: number;
  readonly ppid: number;
  readonly name: GuestText;
  readonly user: string;
  readonly uid: number;
  readonly state: string;
  readonly exe: GuestText;
  readonly exeDeleted: boolean;
  readonly argv: readonly GuestText[];
  readonly startedAt: string | null;
  readonly threads: number;
  readonly rssKiB: number;
  readonly cpuSeconds: number;
  /** Rule ids of findings about this process. */
  readonly flags: readonly string[];
}

/** How bad a finding is. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** An anomaly the detector reported. */
export interface Finding {
  readonly id: string;
  readonly rule: string;
  readonly severity: Severity;
  readonly title: string;
  /** Why it fired, with the evidence. */
  readonly detail: GuestText;
  readonly pids: readonly number[];
  readonly falsePositives: string;
  readonly nextStep: string;
}

/** Arguments of a process query. */
export interface ProcessQuery {
  readonly handle: string;
}

// ---------------------------------------------------------------------------------------------
// Hosts (inventory grows in the SSH work; the shape is fixed here)
// ---------------------------------------------------------------------------------------------

/** A KVM host the user can connect to. */
export interface HostEntry {
  readonly id: string;
  readonly alias: string;
  readonly hostName: string;
  readonly user: string;
  readonly port: number;
  /** Where it is defined. */
  readonly source: 'ssh-config' | 'app';
}

/** The connection state of a host. */
export type SessionState = 'disconnected' | 'connecting' | 'connected' | 'lost' | 'reconnecting';

/** A change of a host's connection state. */
export interface SessionStateEvent {
  readonly hostId: string;
  readonly state: SessionState;
  readonly error?: WorkbenchError;
}

// ---------------------------------------------------------------------------------------------
// The API
// ---------------------------------------------------------------------------------------------

/** Removes an event listener. */
export type Unsubscribe = () => void;

/**
 * Everything the renderer may ask of the services.
 *
 * Requests resolve to a `Result`; they never reject for expected failures. Events return an
 * `Unsubscribe`.
 */
export interface WorkbenchApi {
  getAppInfo(): Promise<Result<AppInfo>>;

  listJobs(): Promise<Result<readonly JobSnapshot[]>>;
  cancelJob(args: { readonly jobId: string }): Promise<Result<null>>;

  listRecentCaptures(): Promise<Result<readonly RecentCapture[]>>;
  /** The sample capture shipped with the app, so a new user sees a real process list at once. */
  getSampleCapturePath(): Promise<Result<string>>;
  /** A native file dialog; `null` when the user cancels. NOT_SUPPORTED in web mode. */
  pickCapturePath(): Promise<Result<string | null>>;
  /** The path of a file dropped on the window (web mode uploads it first). */
  pathForDroppedFile(file: File): Promise<Result<string>>;
  /** Opens and verifies a capture (folder or `.civic`); progress arrives as job events. */
  openCapture(args: { readonly path: string }): Promise<Result<CaptureOverview>>;
  closeCapture(args: { readonly handle: string }): Promise<Result<null>>;
  getProcesses(args: ProcessQuery): Promise<Result<readonly ProcessRow[]>>;
  getFindings(args: { readonly handle: string }): Promise<Result<readonly Finding[]>>;

  listHosts(): Promise<Result<readonly HostEntry[]>>;

  onJobProgress(listener: (event: JobProgressEvent) => void): Unsubscribe;
  onSessionState(listener: (event: SessionStateEvent) => void): Unsubscribe;
}

/** The request methods of the API (everything but the `on...` subscriptions). */
export type WorkbenchRequestName = {
  [K in keyof WorkbenchApi]: K extends `on${string}` ? never : K;
}[keyof WorkbenchApi];

/** The event subscriptions of the API. */
export type WorkbenchEventName = Extract<keyof WorkbenchApi, `on${string}`>;

/** What each event carries, by the channel's short name. */
export interface WorkbenchEvents {
  jobProgress: JobProgressEvent;
  sessionState: SessionStateEvent;
}

declare global {
  interface Window {
    /** Present under Electron (set by the preload); absent in web mode. */
    readonly workbench?: WorkbenchApi;
  }
}
