import type { CaptureGuestLogin } from '../../preload/api';
import type { ManifestCommand } from '../bundle/bundle-schema';
import type { SshConnection } from '../ssh/ssh-connect';
import type { JobContext } from '../jobs/job-runner';
import type { ExpectedFile, DownloadOptions } from './artifact-download';
import type { LocalToolkit, ToolkitUpload } from './host-toolkit';

/** The helper verbs a capture runs. */
export type CaptureHelperVerb = 'list' | 'clone' | 'collect' | 'destroy';

/** A helper run's result payload and the command line it ran, for the manifest. */
export interface HelperRun {
  readonly payload: unknown;
  readonly command: ManifestCommand;
}

/** Facts about the host that go into the manifest. */
export interface CaptureHostFacts {
  /** `user@host:port`, for messages. */
  readonly label: string;
  /** The name the manifest records. */
  readonly name: string;
  /** `SHA256:...` of the host key the live connection offered and the verifier accepted. */
  readonly hostKeySha256: string;
}

/**
 * Everything a capture does on the KVM host, behind one interface so the pipeline runs against a
 * fake in unit tests and against SSH + the helper for real.
 */
export interface CaptureHost {
  connect(hostId: string, signal: AbortSignal): Promise<void>;
  /** The manifest's facts about the host, read from the live connection (connecting if it dropped). */
  facts(hostId: string, signal: AbortSignal): Promise<CaptureHostFacts>;
  /**
   * The helper's `list` entry the app last showed for this VM key (what the user picked from), or null
   * when the app has not listed it: then the capture lists once itself.
   */
  listedVm(hostId: string, vmId: string): Promise<unknown>;
  /** Deploys (or checks) the helper; returns its version. */
  deployHelper(hostId: string, signal: AbortSignal): Promise<string>;
  /** Runs a helper verb; its progress goes to `context`. */
  runHelper(hostId: string, verb: CaptureHelperVerb, args: Readonly<Record<string, unknown>>, context: JobContext): Promise<HelperRun>;
  uploadToolkit(hostId: string, toolkit: LocalToolkit, signal: AbortSignal): Promise<ToolkitUpload>;
  /** Downloads a host file, resuming by offset, and checks its size and SHA-256. */
  download(hostId: string, remotePath: string, localPath: string, expected: ExpectedFile, options: DownloadOptions): Promise<void>;
  /** A TCP port free on the host's loopback, for the clone's forward to its sshd. */
  freePort(hostId: string, signal: AbortSignal): Promise<number>;
  /** Logs in to a clone's sshd through the host's loopback forward on `port`. */
  openGuest(hostId: string, port: number, login: CaptureGuestLogin, signal: AbortSignal): Promise<SshConnection>;
  /** Copies files of a session folder (relative paths) to a kept folder on the host that outlives the clone; returns it. */
  keep(hostId: string, sessionDir: string, paths: readonly string[], keptName: string): Promise<string>;
}
