import { TOOLKIT_PLAN, type FilledStep } from './toolkit-plan';
import type { ToolkitManifest } from './toolkit-manifest';

// The steps are the toolkit plan's (resources/helper/civic_helper/toolkit_plan.json), which the helper runs
// too; this module only fills them in for one manifest and bootstrap path.

/** A guest argv whose program is an absolute path. */
export type GuestArgv = readonly [string, ...string[]];

/**
 * One step of putting the toolkit into a guest or taking it out, as plain data.
 *
 * The steps need only three guest operations (write a file, run a program, read a file), which are qemu-ga's
 * guest-file-write, guest-exec and guest-file-read, or the helper's `file-put`, `exec` and `file-get`.
 */
export type ToolkitStep =
  /** Upload a host file (the toolkit's busybox, or its tarball) to a guest path. */
  | { readonly kind: 'put'; readonly source: 'busybox' | 'payload'; readonly guestPath: string }
  /** Run a program; it must exit 0. */
  | { readonly kind: 'exec'; readonly purpose: string; readonly argv: GuestArgv; readonly timeoutMs: number }
  /** Read a guest file back; its SHA-256 must be this one (computed on the host). */
  | { readonly kind: 'check-file'; readonly guestPath: string; readonly sha256: string }
  /** Run `sha256sum` over files; each printed hash must match (compared on the host). */
  | {
      readonly kind: 'check-hashes';
      readonly argv: GuestArgv;
      readonly expected: readonly { readonly guestPath: string; readonly sha256: string }[];
      readonly timeoutMs: number;
    };

/** The only guest program the plan runs, to make the uploaded busybox executable (it is read back right after). */
export const GUEST_CHMOD = TOOLKIT_PLAN.path('guestChmod');

/** Name ($0) of the mount script, so logs and process lists say what it is. */
export const MOUNT_SCRIPT_NAME = TOOLKIT_PLAN.script('mount').name;

/** Name ($0) of the removal script. */
export const REMOVE_SCRIPT_NAME = TOOLKIT_PLAN.script('remove').name;

/** Name ($0) of the script that kills toolkit programs still running (the helper runs it before removal). */
export const STOP_SCRIPT_NAME = TOOLKIT_PLAN.script('stop').name;

/**
 * Where the bootstrap busybox goes: /run (a tmpfs on systemd guests), never the clone's disks.
 *
 * busybox takes the applet from argv[1] when its own file name starts with "busybox".
 */
export function bootstrapPathFor(token: string): string {
  if (!/^[0-9a-f]{8,32}$/.test(token)) throw new Error(`bootstrap token must be hex: ${token}`);
  return `${TOOLKIT_PLAN.path('bootstrapPrefix')}${token}`;
}

/** A filled plan step in this module's shape (milliseconds, as the app's timers take them). */
export function toToolkitStep(step: FilledStep): ToolkitStep {
  switch (step.kind) {
    case 'put':
    case 'check-file':
      return step;
    case 'exec':
      return { kind: 'exec', purpose: step.purpose, argv: step.argv, timeoutMs: step.timeoutSeconds * 1000 };
    case 'check-hashes':
      return { kind: 'check-hashes', argv: step.argv, expected: step.expected, timeoutMs: step.timeoutSeconds * 1000 };
  }
}

/** The steps that mount a tmpfs at /run/civic, fill it with the toolkit and verify every file by hash. */
export function injectionSteps(manifest: ToolkitManifest, bootstrapPath: string): readonly ToolkitStep[] {
  const busybox = manifest.files.find((file) => file.path === 'bin/busybox');
  if (!busybox) throw new Error('the toolkit manifest lists no bin/busybox');
  return TOOLKIT_PLAN.steps('injection', { bootstrap: bootstrapPath, busyboxSha256: busybox.sha256 }, manifest.files).map(toToolkitStep);
}

/** The step that unmounts the toolkit, removes /run/civic when empty, and deletes the bootstrap busybox. */
export function removalSteps(bootstrapPath: string): readonly ToolkitStep[] {
  return TOOLKIT_PLAN.steps('removal', { bootstrap: bootstrapPath }).map(toToolkitStep);
}

/** Which expected files a `sha256sum` output does not confirm (missing or with another hash). */
export function unconfirmedFiles(sha256sumOutput: string, expected: readonly { readonly guestPath: string; readonly sha256: string }[]): string[] {
  const seen = new Map<string, string>();
  for (const line of sha256sumOutput.split('\n')) {
    const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (match?.[1] && match[2]) seen.set(match[2], match[1]);
  }
  return expected.filter((file) => seen.get(file.guestPath) !== file.sha256).map((file) => file.guestPath);
}
