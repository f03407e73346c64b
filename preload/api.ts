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
  | 'TOO_MANY_REQUESTS'
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
  | 'BUNDLE_NOT_A_CAPTURE'
  | 'BUNDLE_CUSTODY_TIME_REVERSED'
  | 'BUNDLE_DUPLICATE_PID'
  | 'BUNDLE_SIGNATURE_MALFORMED'
  | 'BUNDLE_SIGNATURE_INVALID'
  | 'BUNDLE_SIGNATURE_MANIFEST_MISMATCH'
  | 'BUNDLE_SIGNATURE_CUSTODY_MISMATCH'
  | 'WORKSTATION_KEY_UNUSABLE'
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
  | 'IMPACT_BUDGET_EXCEEDED'
  | 'LOAD_TARGET_REFUSED'
  // Twins and the experiments run on them
  | 'TWIN_NOT_FOUND'
  | 'TWIN_LEASE_LOST'
  | 'TWIN_UNRESPONSIVE'
  | 'FORWARD_FAILED'
  | 'EXPERIMENT_FAILED'
  // The in-guest toolkit, built on this machine
  | 'TOOLKIT_PREREQUISITE_MISSING'
  | 'TOOLKIT_BUILD_FAILED'
  | 'TOOLKIT_NOT_BUILT';

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
export type JobKind = 'open-capture' | 'verify-capture' | 'connect-host' | 'clone' | 'collect' | 'capture' | 'twin' | 'experiment';

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
  /** Oddities that do not fail verification (duplicate pids, custody times out of order). */
  readonly warnings?: readonly WorkbenchError[];
  /** Who sealed the capture and whether the signature holds; absent from reports made before signing existed. */
  readonly signature?: SignatureStatus;
}

/**
 * The workstation signature of a capture.
 *
 * `unsigned`: the capture carries no signature (older captures). `valid`: the Ed25519 signature over the
 * manifest and the custody head holds for the public key it names. `invalid`: it does not; `code` says why.
 */
export type SignatureStatus =
  | { readonly state: 'unsigned' }
  | {
      readonly state: 'valid';
      readonly signer: SignerIdentity;
      readonly signedAt: string;
      /** Custody entries the signature covers; entries after them were appended later, unsigned. */
      readonly custodyEntriesSigned: number;
    }
  | { readonly state: 'invalid'; readonly code: ErrorCode; readonly signer: SignerIdentity | null };

/** A workstation key as a capture or Settings shows it: a key, not a verified identity. */
export interface SignerIdentity {
  /** `SHA256:` and the unpadded base64 SHA-256 of the raw 32-byte Ed25519 public key. */
  readonly fingerprint: string;
  /** The name the workstation's user gave the key, if any (self-asserted). */
  readonly name: string | null;
}

/** This workstation's signing key, as Settings shows it. */
export interface WorkstationKeyInfo extends SignerIdentity {
  /** The public key as SPKI PEM, the text of the exported file. */
  readonly publicKeyPem: string;
  readonly createdAt: string;
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
  /**
   * The process's position in the capture's process list: what identifies a row and its detail,
   * since a capture can hold two processes with one pid.
   */
  readonly record: number;
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

/** A socket of a capture, made safe to show. */
export interface SocketRecord {
  readonly protocol: string;
  readonly state: string;
  readonly localAddress: GuestText;
  readonly localPort: number | null;
  readonly remoteAddress: GuestText | null;
  readonly remotePort: number | null;
  readonly pid: number | null;
  /** The owning process's name, when the pid is in the capture. */
  readonly processName?: GuestText;
}

/** Columns the process table sorts by. */
export type ProcessSortKey = 'pid' | 'name' | 'user' | 'cpu' | 'rss' | 'start' | 'threads' | 'exe' | 'flags';

/** Filters of a process window; every one set must hold. */
export interface ProcessFilters {
  readonly flaggedOnly?: boolean;
  /** Exact user name (as shown). */
  readonly user?: string;
  /** Only processes with a listening socket. */
  readonly listeningOnly?: boolean;
  /** Only processes whose cgroup path contains this text (containers, systemd units). */
  readonly cgroup?: string;
}

/** A window of the process table, computed in main so the renderer never holds every process. */
export interface ProcessWindowQuery {
  readonly handle: string;
  /** Matched against name, argv, exe, pid and user; empty matches all. */
  readonly search: string;
  /** Treat `search` as a regular expression (case-insensitive). */
  readonly regex: boolean;
  readonly filters: ProcessFilters;
  readonly sort: { readonly key: ProcessSortKey; readonly descending: boolean };
  /** `tree` nests children under parents (siblings sorted); `flat` sorts every row. */
  readonly mode: 'tree' | 'flat';
  /** Pids whose children are hidden (tree mode). */
  readonly collapsed: readonly number[];
  readonly offset: number;
  readonly limit: number;
  /** Reports the row index of this pid in the result, when it is there. */
  readonly locatePid?: number;
  /** Reports the row index of this process record in the result (wins over `locatePid`). */
  readonly locateRecord?: number;
}

/** One row of a process window. */
export interface ProcessWindowRow {
  readonly process: ProcessRow;
  readonly depth: number;
  readonly hasChildren: boolean;
  readonly expanded: boolean;
  /** False for ancestors shown only to place a match in the tree. */
  readonly matches: boolean;
  readonly listening: boolean;
}

/** The rows from `offset`, with the size of the whole result. */
export interface ProcessWindow {
  readonly offset: number;
  readonly rows: readonly ProcessWindowRow[];
  /** Rows in the whole result (matches and their context). */
  readonly total: number;
  /** Processes that match the search and filters. */
  readonly matching: number;
  readonly processCount: number;
  /** Why the search could not run (invalid or too slow a regex); the rows are then unfiltered by it. */
  readonly searchError: string | null;
  readonly locatedIndex: number | null;
}

/** One environment variable of a process. */
export interface EnvironmentEntry {
  readonly name: GuestText;
  readonly value: GuestText;
  /** The value is hidden because the name looks like a secret. */
  readonly redacted: boolean;
}

/** Everything a capture holds about one process. */
export interface ProcessDetailRecord {
  readonly process: ProcessRow;
  /** Root first, the parent last. */
  readonly ancestors: readonly number[];
  readonly childCount: number;
  readonly cwd: GuestText | null;
  readonly kernelThread: boolean;
  /** `null` when the capture did not collect the environment. */
  readonly environment: readonly EnvironmentEntry[] | null;
  /** Further fields the capture holds for this process (cgroup, namespaces, ids, ...), as label and text. */
  readonly fields: readonly { readonly label: string; readonly value: GuestText }[];
  /** Executable mappings without a regular file behind them; `null` when not collected. */
  readonly executableMappings: readonly { readonly range: string; readonly permissions: string; readonly name: GuestText }[] | null;
  readonly secretsRevealed: boolean;
  readonly sockets: readonly SocketRecord[];
  readonly findings: readonly Finding[];
  /** Evidence kinds this capture has no artifact for (shown as "not collected"). */
  readonly notCollected: readonly string[];
  /** Artifacts about this process (core dumps, traces), listed but never sent as bytes. */
  readonly artifacts: readonly ArtifactRecord[];
}

/** One bar of the process start histogram. */
export interface TimelineBucket {
  readonly start: string;
  readonly end: string;
  readonly count: number;
}

/** Facts for the filters, the timeline and the sockets view. */
export interface CaptureFacts {
  readonly users: readonly string[];
  readonly listeningCount: number;
  readonly socketCount: number;
  readonly processStarts: readonly TimelineBucket[];
  /** Processes without a start time (kernel threads, or not collected). */
  readonly unknownStarts: number;
  /** Whether any process has a cgroup (the cgroup filter is offered then). */
  readonly hasCgroups: boolean;
  /** Metrics series; empty when the capture collected none. */
  readonly metrics: readonly { readonly name: string; readonly points: readonly { readonly at: string; readonly value: number }[] }[];
}

/** One kernel taint flag, decoded. */
export interface TaintFlagFact {
  readonly letter: string;
  readonly meaning: string;
  /** Whether the flag points at kernel code nobody vouched for (unsigned, out-of-tree, forced). */
  readonly suspicious: boolean;
}

/** One loaded kernel module. */
export interface KernelModuleFact {
  readonly name: GuestText;
  readonly size: number;
  readonly instances: number;
  readonly state: GuestText;
  /** The module's taint letters as the guest listed them. */
  readonly taints: GuestText;
  readonly taintFlags: readonly TaintFlagFact[];
}

/** Why a mount deserves a look. */
export type MountConcern = 'noexec-missing' | 'unusual-type';

/** One mount of the guest. */
export interface MountFact {
  readonly source: GuestText;
  readonly target: GuestText;
  readonly fsType: GuestText;
  readonly options: GuestText;
  readonly concerns: readonly MountConcern[];
}

/** One logged-in user (utmp). */
export interface LoginFact {
  readonly user: GuestText;
  readonly line: GuestText;
  readonly host: GuestText;
  readonly pid: number;
  readonly loginAt: string | null;
}

/** One file in a persistence location. */
export interface PersistenceFact {
  readonly path: GuestText;
  readonly type: 'file' | 'directory' | 'symlink' | 'other';
  readonly size: number;
  readonly mtime: string | null;
  readonly sha256: string | null;
  readonly linkTarget: GuestText | null;
}

/** Persistence files of one folder. */
export interface PersistenceGroup {
  readonly location: GuestText;
  readonly entries: readonly PersistenceFact[];
}

/** A capture's system document, made safe to show. */
export interface SystemFacts {
  readonly capturedAt: string;
  readonly kernel: {
    readonly banner: GuestText | null;
    readonly release: GuestText | null;
    readonly tainted: number;
    readonly taintFlags: readonly TaintFlagFact[];
    /** Set bits no known flag names. */
    readonly unknownTaintBits: readonly number[];
    readonly uptimeSeconds: number | null;
    readonly bootedAt: string | null;
  };
  readonly modules: readonly KernelModuleFact[];
  readonly mounts: readonly MountFact[];
  readonly ldSoPreload: { readonly present: boolean; readonly content: GuestText | null; readonly truncated: boolean; readonly loadsSomething: boolean };
  readonly logins: readonly LoginFact[];
  readonly persistence: readonly PersistenceGroup[];
  readonly persistenceTruncated: boolean;
}

/** What an analyst decided about a finding. */
export type TriageState = 'new' | 'confirmed' | 'false-positive';

/** The triage of one finding. */
export interface FindingTriage {
  readonly findingId: string;
  readonly state: TriageState;
  readonly note: string;
  readonly updatedAt: string;
}

/** Triage of a capture, kept in a sidecar file, never inside the sealed bundle. */
export interface TriageRecord {
  /** Where it is kept: beside the capture, or in the app data folder when that is read-only. */
  readonly location: 'beside-capture' | 'app-data';
  readonly path: string;
  readonly entries: readonly FindingTriage[];
}

/** A process present in both captures whose identity matched but whose fields differ. */
export interface ProcessChange {
  readonly before: ProcessRow;
  readonly after: ProcessRow;
  readonly fields: readonly string[];
}

/** Added and removed items of one kind, capped; the counts are exact. */
export interface DiffList<T> {
  readonly added: readonly T[];
  readonly removed: readonly T[];
  readonly addedCount: number;
  readonly removedCount: number;
}

/** The difference between two captures. */
export interface CaptureDiff {
  readonly before: { readonly handle: string; readonly title: string };
  readonly after: { readonly handle: string; readonly title: string };
  readonly processes: DiffList<ProcessRow> & { readonly changed: readonly ProcessChange[]; readonly changedCount: number };
  readonly sockets: DiffList<SocketRecord>;
  /** Kernel modules when both captures list them, else distinct executables. */
  readonly modules: DiffList<GuestText>;
  readonly modulesKind: 'kernel-modules' | 'executables';
  readonly findings: DiffList<Finding>;
}

/** Formats a report exports to. */
export type ExportFormat = 'html' | 'json' | 'csv';

/** An export: saved by main to a path, or handed back as a download when there is no save dialog. */
export interface ExportResult {
  readonly fileName: string;
  readonly mediaType: string;
  readonly savedTo?: string;
  /** The report itself, when there was no save dialog (web mode). */
  readonly content?: string;
  /** `true` when the user cancelled the save dialog. */
  readonly cancelled?: boolean;
}

/** A window of an artifact's bytes, shown as escaped text or hex; never executed, never linked. */
export interface ArtifactView {
  readonly path: string;
  readonly size: number;
  readonly offset: number;
  readonly kind: 'text' | 'hex';
  readonly text: string;
  readonly truncated: boolean;
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

/** The fields a user types to add or edit a host. */
export interface HostForm {
  readonly alias: string;
  readonly hostName: string;
  readonly port: number;
  readonly user: string;
  /** A private key file; empty tries the agent and the default keys. */
  readonly identityFile: string;
  /** `[user@]host[:port]`, comma separated; empty connects directly. */
  readonly proxyJump: string;
  /** Folders where bare QEMU VMs keep QMP sockets; empty uses the helper's defaults. */
  readonly qmpDirs: readonly string[];
}

/** A host with everything its edit form shows. */
export interface HostDetails extends HostEntry {
  readonly identityFile: string;
  readonly proxyJump: string;
  readonly qmpDirs: readonly string[];
}

/** What a host test found: the connection works, the helper answers, and root is reachable. */
export interface HostTestReport {
  readonly hostId: string;
  readonly helperVersion: string;
  readonly protocolVersion: number;
  /** How root is reached: a root login, or `sudo -n` without a password. */
  readonly privilege: 'root' | 'sudo';
}

/** What a host's helper found about QEMU there. */
export interface HostCapabilities {
  readonly qemuVersion: string | null;
  readonly libvirtVersion: string | null;
  readonly accelerator: 'kvm' | 'tcg' | null;
  readonly kvmPresent: boolean;
  readonly backgroundSnapshot: boolean;
  readonly pauseBeforeSwitchover: boolean;
  /** Clone strategies usable on the host, best first. */
  readonly strategies: readonly string[];
  readonly root: boolean;
  readonly sudo: string;
}

/** One VM on a host, as the helper's `list` reports it. */
export interface VmSummary {
  /** The reference to clone it by (`qmp:/path.sock` or `libvirt:NAME`). */
  readonly id: string;
  readonly kind: 'qmp' | 'libvirt';
  readonly name: string | null;
  readonly state: string;
  readonly memoryBytes: number | null;
  readonly vcpus: number;
  /** A guest agent channel exists (needed to run commands in a clone). */
  readonly qgaChannel: boolean;
  readonly cloneable: boolean;
  /** Why it cannot be cloned, one sentence each. */
  readonly reasons: readonly string[];
  /** Why the helper could not read this VM at all (a stale QMP socket, a domain gone mid-list); absent when it could. */
  readonly readError?: string;
}

/** The VMs of a connected host and what the host can do. */
export interface HostVmList {
  readonly hostId: string;
  readonly capabilities: HostCapabilities;
  readonly vms: readonly VmSummary[];
  readonly libvirt: { readonly available: boolean; readonly reason?: string };
  /** The QMP folders the helper scanned. */
  readonly qmpDirs: readonly string[];
}

/** Something the app did on a host by itself, for the Hosts view: recovering interrupted clones at connect. */
export interface HostNoticeEvent {
  readonly hostId: string;
  readonly noticeId: string;
  /** `warning` when something could not be done (then `error` says what to run by hand). */
  readonly tone: 'info' | 'warning';
  /** What was done, in sentences ("Recovered 1 interrupted clone of lab-db: source resumed, ..."). */
  readonly text: string;
  /** The jobs that did it, as the Jobs view lists them. */
  readonly jobIds: readonly string[];
  readonly error?: WorkbenchError;
  /** ISO 8601. */
  readonly at: string;
}

/** A host key no known_hosts file knows: the user decides with `answerHostKey`. */
export interface HostKeyPromptEvent {
  readonly promptId: string;
  readonly host: string;
  readonly port: number;
  readonly keyType: string;
  /** `SHA256:...` as OpenSSH prints it. */
  readonly fingerprint: string;
  /** Set when the prompt is over (answered or timed out): close its dialog. */
  readonly closed?: boolean;
}

/** A passphrase, password or keyboard-interactive question: answered with `answerSecret`. */
export interface SecretPromptEvent {
  readonly promptId: string;
  readonly kind: 'passphrase' | 'password' | 'keyboard-interactive';
  /** `user@host:port`. */
  readonly target: string;
  readonly prompt: string;
  /** Whether the answer may be shown while typed. */
  readonly echo: boolean;
  /** Set when the prompt is over (answered or timed out): close its dialog. */
  readonly closed?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Capturing a clone (Diagnostics)
// ---------------------------------------------------------------------------------------------

/** What a capture can collect inside the clone (the helper's `collect` steps). */
export type CaptureStepId =
  | 'processes'
  | 'sockets'
  | 'system'
  | 'backtraces'
  | 'kernel-stacks'
  | 'core-dump'
  | 'syscalls'
  | 'metrics'
  | 'command'
  | 'kernel-symbols'
  | 'memory-dump';

/** One step of a capture with its options; `pids` for per-process steps. */
export interface CaptureStep {
  readonly id: CaptureStepId;
  readonly pids?: readonly number[];
  readonly seconds?: number;
  readonly intervalSeconds?: number;
  /** `command` only: the program and its arguments, run in the clone. */
  readonly argv?: readonly string[];
  /** `command` only: a safe label for its output files. */
  readonly name?: string;
  /** `memory-dump` only. */
  readonly format?: 'elf' | 'kdump-zlib';
}

/** How the capture reaches into the clone: its guest agent, SSH into the clone, nothing (memory dump only), or automatic. */
export type CaptureAccess = 'auto' | 'qga' | 'ssh' | 'none';

/** A login to the clone's own sshd (the SSH way in); never stored, and the password never logged. */
export interface CaptureGuestLogin {
  readonly user: string;
  /** A private key file on this machine; empty or absent uses `password`. */
  readonly identityFile?: string;
  readonly password?: string;
  /** `SHA256:...` of the clone's host key (the production VM's own) the user accepted. */
  readonly hostKeySha256?: string;
}

/** What happens to the artifacts on the host once they are in the bundle. */
export interface CaptureRetention {
  /** `delete` (default) removes them with the clone; `keep` copies them to a kept folder on the host first. */
  readonly hostArtifacts: 'delete' | 'keep';
  /** `keep-on-host` leaves the memory dump on the host (fetched on demand later) instead of downloading it. */
  readonly memoryDump: 'download' | 'keep-on-host';
}

/** Arguments of `startCapture`. */
export interface CaptureRequest {
  readonly hostId: string;
  readonly vmId: string;
  readonly steps: readonly CaptureStep[];
  readonly access: CaptureAccess;
  /** For the SSH way in (a VM without a guest agent, or `access: 'ssh'`). */
  readonly guestLogin?: CaptureGuestLogin;
  readonly retention?: CaptureRetention;
  /** The local case folder the `.civic` goes to; default `<appData>/cases/`. */
  readonly caseDir?: string;
}

/** A step the capture did not run, and why. */
export interface CaptureSkip {
  readonly step: string;
  readonly reason: string;
}

/** A step (or one pid of it) that failed; the others went on. */
export interface CaptureStepFailure {
  readonly step: string;
  readonly pid: number | null;
  readonly code: string;
  readonly message: string;
}

/** The end of a capture job. */
export interface CaptureOutcome {
  readonly jobId: string;
  /** The packed, verified `.civic` file. */
  readonly bundlePath: string;
  /** The way in actually used. */
  readonly access: 'qga' | 'ssh' | 'none';
  /** The clone strategy the helper chose (`background-snapshot`, `precopy`). */
  readonly strategy: string;
  readonly cloneId: string;
  readonly artifacts: readonly ArtifactRecord[];
  readonly skipped: readonly CaptureSkip[];
  readonly failed: readonly CaptureStepFailure[];
  readonly processCount: number;
  readonly findingCount: number;
  /** Every artifact hash and the custody chain verified after packing. */
  readonly verified: boolean;
  /** Where artifacts were kept on the host (retention `keep` or a memory dump kept there); null when none. */
  readonly keptOnHost: string | null;
}

// ---------------------------------------------------------------------------------------------
// Twins: clones kept alive under a lease the host enforces, and the experiments run on them
// ---------------------------------------------------------------------------------------------

/** A forward from 127.0.0.1 on the KVM host to a port of the twin (and, when opened, on to this machine). */
export interface TwinForward {
  readonly guestPort: number;
  /** The guest address slirp forwards to (the guest's own, taken from the clone). */
  readonly guestAddress: string;
  /** The bound port on the host's loopback. */
  readonly hostPort: number;
  /** `http://127.0.0.1:PORT/` on this machine once `openTwinForward` tunnelled it over SSH; null before. */
  readonly localUrl: string | null;
}

/** A twin as Hosts and Jobs show it. */
export interface TwinSummary {
  readonly hostId: string;
  /** The helper's clone id. */
  readonly twinId: string;
  /** The source VM's reference (`qmp:/path.sock`, `libvirt:NAME`) and name. */
  readonly vmId: string;
  readonly vmName: string | null;
  /** `live` within its lease; `expired` once the host destroyed it; `gone` when the host no longer lists it. */
  readonly state: 'live' | 'expired' | 'gone';
  /** ISO 8601. */
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly ttlSeconds: number;
  /** At the time of the snapshot; the UI counts down from `expiresAt`. */
  readonly secondsLeft: number;
  /** Whether this app renews the lease while it runs (it stops when the app closes or the twin is destroyed). */
  readonly autoRenew: boolean;
  /** The last renew that failed (SSH gone): the host still ends the twin at `expiresAt`. */
  readonly renewError?: WorkbenchError;
  readonly forwards: readonly TwinForward[];
  /** How the host enforces the lease (`systemd-scope`, `keeper`). */
  readonly leaseMechanism: string;
  readonly strategy: string;
  readonly sourcePauseMs: number | null;
}

/** Arguments of `startTwin`. */
export interface TwinRequest {
  readonly hostId: string;
  readonly vmId: string;
  /** The lease, 60..86400 s; the app renews it while it runs and `autoRenew` holds. */
  readonly ttlSeconds: number;
  /** Guest TCP ports to forward to the host's loopback (the web server, an agent). */
  readonly guestPorts: readonly number[];
  /** The guest's static address, when it has one the clone cannot learn by DHCP; `auto` asks the guest agent. */
  readonly guestNetwork?: { readonly address: string; readonly prefix: number } | 'auto';
  /** Default true. */
  readonly autoRenew?: boolean;
}

/** What `execInTwin` returns: guest bytes as escaped text. */
export interface TwinExecResult {
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly signal: number | null;
  readonly stdout: GuestText;
  readonly stderr: GuestText;
}

/** A change to a host's twins (started, renewed, expired, destroyed). */
export interface TwinsChangedEvent {
  readonly hostId: string;
  readonly twins: readonly TwinSummary[];
}

/** A service the app knows how to tune: where its configuration is, how it reloads, which knobs matter. */
export interface ServiceProfile {
  readonly id: string;
  readonly title: string;
  readonly configPath: string;
  /** Knobs with their suggested candidate values. */
  readonly parameters: readonly { readonly name: string; readonly description: string; readonly candidates: readonly string[] }[];
  /** The guest port it serves HTTP on. */
  readonly port: number;
  /** A path to request when checking that it answers and under load. */
  readonly urlPath: string;
}

/** How load is driven at the twin during each measurement. */
export interface LoadSettings {
  readonly mode: 'closed' | 'open';
  /** Closed loop: requests in flight. */
  readonly concurrency: number;
  /** Open loop: requests per second offered. */
  readonly rate?: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  /** URL paths on the service; or replay the service's own access log from the twin. */
  readonly source: { readonly kind: 'paths'; readonly paths: readonly string[] } | { readonly kind: 'access-log'; readonly logPath: string; readonly lastN: number };
}

/** Arguments of `startTuning`: try each value of one parameter on the twin, under load, interleaved. */
export interface TuningRequest {
  readonly hostId: string;
  readonly twinId: string;
  /** A known profile (`listServiceProfiles`), or the fields below for any `key = value` file. */
  readonly profileId?: string;
  readonly configPath: string;
  readonly parameter: string;
  /** 2..8 candidate values. */
  readonly values: readonly string[];
  /** Run in the twin after each edit (default: the profile's, else none). */
  readonly reloadArgv?: readonly string[];
  readonly port: number;
  readonly load: LoadSettings;
  /** At least 5 (default 5). */
  readonly repetitions: number;
  /** A value whose error share is above this (0..1) is failed; default 0.05. */
  readonly maxErrorRatio?: number;
  /** Production's own probe (a guest port forwarded on production's network, reached from the host), measured beside the twin. */
  readonly productionUrl?: string;
  readonly caseDir?: string;
}

/** Arguments of `startAgentRun`: run monitoring agents in the twin and bring their output back as series. */
export interface AgentRunRequest {
  readonly hostId: string;
  readonly twinId: string;
  /** `guest`: the agent the guest has installed (found in the guest's own files); `node-exporter`: the toolkit's. */
  readonly agents: readonly ('guest' | 'node-exporter')[];
  readonly seconds: number;
  readonly intervalSeconds: number;
  readonly caseDir?: string;
}

/** A median with its 95 % confidence interval. */
export interface Estimate {
  readonly median: number;
  readonly low: number;
  readonly high: number;
}

/** One candidate value's result. */
export interface TuningRow {
  readonly value: string;
  readonly status: 'ok' | 'failed';
  /** Requests per second across the repetitions. */
  readonly throughput: Estimate | null;
  readonly p95Ms: Estimate | null;
  readonly p99Ms: Estimate | null;
  readonly errors: number;
  readonly requests: number;
  /** Per repetition, in run order. */
  readonly runs: readonly { readonly repetition: number; readonly throughput: number; readonly p95Ms: number | null; readonly errors: number }[];
  /** Why it failed, in the service's own words when it gave any. */
  readonly failure?: string;
}

/** A time series, for charts. */
export interface Series {
  readonly name: string;
  readonly unit: string;
  /** Epoch milliseconds and value. */
  readonly points: readonly (readonly [number, number])[];
}

/** What an experiment capture holds, as Review shows it. */
export type ExperimentReport =
  | {
      readonly kind: 'tuning';
      readonly service: string;
      readonly configPath: string;
      readonly parameter: string;
      readonly originalValue: string | null;
      readonly repetitions: number;
      readonly load: LoadSettings;
      readonly rows: readonly TuningRow[];
      /** null when no value ran cleanly. */
      readonly recommended: { readonly value: string; readonly confidence: 'clear' | 'likely' | 'unclear'; readonly reason: string } | null;
      /** The unified diff to apply to production by hand; the product never applies it. */
      readonly diff: string;
      readonly production: { readonly aloneRps: number | null; readonly duringRps: number | null } | null;
    }
  | {
      readonly kind: 'agents';
      readonly agents: readonly { readonly agent: string; readonly title: string; readonly series: readonly Series[]; readonly error?: string }[];
    };

/** The end of an experiment job. */
export interface ExperimentOutcome {
  readonly jobId: string;
  readonly bundlePath: string;
  readonly verified: boolean;
  readonly report: ExperimentReport;
  /** Set when the experiment stopped early; the bundle keeps what was measured. */
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
  /** The capture named on the command line at launch, if any. */
  getLaunchCapturePath(): Promise<Result<string | null>>;
  /** A window of the process table (search, filters, sort and tree computed in main). */
  queryProcesses(args: ProcessWindowQuery): Promise<Result<ProcessWindow>>;
  /** Every field of one process; secrets in its environment stay hidden unless asked for. */
  getProcessDetail(args: {
    readonly handle: string;
    readonly pid: number;
    /** The row's `record`: which of several processes with this pid (the first when left out). */
    readonly record?: number;
    readonly revealSecrets: boolean;
  }): Promise<Result<ProcessDetailRecord>>;
  getCaptureFacts(args: { readonly handle: string }): Promise<Result<CaptureFacts>>;
  /** The capture's kernel, modules, mounts, ld.so.preload, logins and persistence files; null when not collected. */
  getSystemFacts(args: { readonly handle: string }): Promise<Result<SystemFacts | null>>;
  getSockets(args: { readonly handle: string }): Promise<Result<readonly SocketRecord[]>>;
  getTriage(args: { readonly handle: string }): Promise<Result<TriageRecord>>;
  setTriage(args: {
    readonly handle: string;
    readonly findingId: string;
    readonly state: TriageState;
    readonly note: string;
  }): Promise<Result<TriageRecord>>;
  compareCaptures(args: { readonly before: string; readonly after: string }): Promise<Result<CaptureDiff>>;
  exportReport(args: { readonly handle: string; readonly format: ExportFormat }): Promise<Result<ExportResult>>;
  /** A capped window of one artifact; memory and core dumps are refused. */
  readArtifact(args: { readonly handle: string; readonly path: string; readonly offset: number }): Promise<Result<ArtifactView>>;

  listHosts(): Promise<Result<readonly HostEntry[]>>;
  getHost(args: { readonly hostId: string }): Promise<Result<HostDetails>>;
  addHost(args: { readonly host: HostForm }): Promise<Result<HostDetails>>;
  editHost(args: { readonly hostId: string; readonly host: HostForm }): Promise<Result<HostDetails>>;
  removeHost(args: { readonly hostId: string }): Promise<Result<null>>;
  /** Connects, deploys the helper, checks root access; progress arrives as job events. */
  testHost(args: { readonly hostId: string }): Promise<Result<HostTestReport>>;
  /** Connects and deploys the helper; state changes arrive as `onSessionState`. */
  connectHost(args: { readonly hostId: string }): Promise<Result<null>>;
  disconnectHost(args: { readonly hostId: string }): Promise<Result<null>>;
  /** Every host's connection state now, so a new page (reload, second tab, new socket) starts from the truth. */
  listSessions(): Promise<Result<readonly SessionStateEvent[]>>;
  /** The helper's `probe` and `list` on a host. */
  listVms(args: { readonly hostId: string }): Promise<Result<HostVmList>>;
  answerHostKey(args: { readonly promptId: string; readonly accept: boolean }): Promise<Result<null>>;
  /** `value: null` cancels the prompt. Secrets are never stored or logged. */
  answerSecret(args: { readonly promptId: string; readonly value: string | null }): Promise<Result<null>>;

  /** Starts a capture of a VM through a live clone; progress arrives as job events (kind `capture`). */
  startCapture(args: CaptureRequest): Promise<Result<{ readonly jobId: string }>>;
  /** The outcome of a capture job; `null` while it runs. NOT_FOUND for a job that is not a capture. */
  getCaptureOutcome(args: { readonly jobId: string }): Promise<Result<CaptureOutcome | null>>;

  /** This workstation's signing key (made on first use): public key, fingerprint and name. */
  getWorkstationKey(): Promise<Result<WorkstationKeyInfo>>;
  /** Names the workstation key (shown beside its fingerprint on captures it signs); null clears it. */
  setWorkstationKeyName(args: { readonly name: string | null }): Promise<Result<WorkstationKeyInfo>>;

  onJobProgress(listener: (event: JobProgressEvent) => void): Unsubscribe;
  onSessionState(listener: (event: SessionStateEvent) => void): Unsubscribe;
  onHostKeyPrompt(listener: (event: HostKeyPromptEvent) => void): Unsubscribe;
  onSecretPrompt(listener: (event: SecretPromptEvent) => void): Unsubscribe;
  /** What the app did on a host by itself (interrupted clones recovered at connect). */
  onHostNotice(listener: (event: HostNoticeEvent) => void): Unsubscribe;

  /** Starts a twin as a `twin` job; its summary comes with `twinsChanged`. */
  startTwin(args: TwinRequest): Promise<Result<{ readonly jobId: string }>>;
  /** The twins of a connected host, as its helper lists them now. */
  listTwins(args: { readonly hostId: string }): Promise<Result<readonly TwinSummary[]>>;
  renewTwin(args: { readonly hostId: string; readonly twinId: string; readonly ttlSeconds: number }): Promise<Result<TwinSummary>>;
  destroyTwin(args: { readonly hostId: string; readonly twinId: string }): Promise<Result<null>>;
  /** Tunnels a twin's forward to this machine over SSH (direct-tcpip); returns the local URL. */
  openTwinForward(args: { readonly hostId: string; readonly twinId: string; readonly guestPort: number }): Promise<Result<TwinForward>>;
  execInTwin(args: { readonly hostId: string; readonly twinId: string; readonly argv: readonly string[]; readonly timeoutSeconds?: number }): Promise<Result<TwinExecResult>>;
  listServiceProfiles(): Promise<Result<readonly ServiceProfile[]>>;
  startTuning(args: TuningRequest): Promise<Result<{ readonly jobId: string }>>;
  startAgentRun(args: AgentRunRequest): Promise<Result<{ readonly jobId: string }>>;
  getExperimentOutcome(args: { readonly jobId: string }): Promise<Result<ExperimentOutcome | null>>;
  /** The experiment an open capture holds, or null for a plain capture. */
  getExperiment(args: { readonly handle: string }): Promise<Result<ExperimentReport | null>>;
  onTwinsChanged(listener: (event: TwinsChangedEvent) => void): Unsubscribe;
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
  hostKeyPrompt: HostKeyPromptEvent;
  secretPrompt: SecretPromptEvent;
  hostNotice: HostNoticeEvent;
  twinsChanged: TwinsChangedEvent;
}

declare global {
  interface Window {
    /** Present under Electron (set by the preload); absent in web mode. */
    readonly workbench?: WorkbenchApi;
  }
}

/**
 * Every request method of the contract, in contract order: the one written list of them.
 *
 * The preload bridge, the web adapter, the renderer's guard and main's IPC registration are built
 * from it; the checks below fail to compile when it and `WorkbenchApi` disagree in either direction.
 */
export const workbenchRequestNames = [
  'getAppInfo',
  'listJobs',
  'cancelJob',
  'listRecentCaptures',
  'getSampleCapturePath',
  'pickCapturePath',
  'pathForDroppedFile',
  'openCapture',
  'closeCapture',
  'getProcesses',
  'getFindings',
  'getLaunchCapturePath',
  'queryProcesses',
  'getProcessDetail',
  'getCaptureFacts',
  'getSystemFacts',
  'getSockets',
  'getTriage',
  'setTriage',
  'compareCaptures',
  'exportReport',
  'readArtifact',
  'listHosts',
  'getHost',
  'addHost',
  'editHost',
  'removeHost',
  'testHost',
  'connectHost',
  'disconnectHost',
  'listSessions',
  'listVms',
  'answerHostKey',
  'answerSecret',
  'startCapture',
  'getCaptureOutcome',
  'getWorkstationKey',
  'setWorkstationKeyName',
  'startTwin',
  'listTwins',
  'renewTwin',
  'destroyTwin',
  'openTwinForward',
  'execInTwin',
  'listServiceProfiles',
  'startTuning',
  'startAgentRun',
  'getExperimentOutcome',
  'getExperiment',
] as const satisfies readonly WorkbenchRequestName[];

/** The request that never crosses a transport: each adapter resolves a dropped file itself. */
export type LocalRequestName = 'pathForDroppedFile';

/** A request method carried over a transport (Electron IPC or the web socket): all but `LocalRequestName`. */
export type TransportRequestName = Exclude<WorkbenchRequestName, LocalRequestName>;

/** The request methods a transport carries, in contract order. */
export const transportRequestNames: readonly TransportRequestName[] = workbenchRequestNames.filter(
  (name): name is TransportRequestName => name !== 'pathForDroppedFile',
);

/** Each event subscription of the contract and the event it carries (`onJobProgress` → `jobProgress`). */
export const workbenchEventSubscriptions = {
  onJobProgress: 'jobProgress',
  onSessionState: 'sessionState',
  onHostKeyPrompt: 'hostKeyPrompt',
  onSecretPrompt: 'secretPrompt',
  onHostNotice: 'hostNotice',
  onTwinsChanged: 'twinsChanged',
} as const satisfies { readonly [K in WorkbenchEventName]: K extends `on${infer Event}` ? Uncapitalize<Event> : never };

/** Every event's short name, in contract order. */
export const workbenchEventNames: readonly (keyof WorkbenchEvents)[] = Object.values(workbenchEventSubscriptions);

// Compile-time agreement of the lists above with the interfaces, both directions: each alias is
// `never` only when nothing is missing and nothing is extra.
type ListedRequestName = (typeof workbenchRequestNames)[number];
type RequestListMismatch = Exclude<WorkbenchRequestName, ListedRequestName> | Exclude<ListedRequestName, WorkbenchRequestName>;
type ListedEventName = (typeof workbenchEventSubscriptions)[WorkbenchEventName];
type EventListMismatch = Exclude<keyof WorkbenchEvents, ListedEventName> | Exclude<ListedEventName, keyof WorkbenchEvents>;
const methodListsAgree: [RequestListMismatch, EventListMismatch] extends [never, never] ? true : [RequestListMismatch, EventListMismatch] = true;
void methodListsAgree;
