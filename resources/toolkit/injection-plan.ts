import { GUEST_BUSYBOX, GUEST_TOOLKIT_DIR, TOOLKIT_PAYLOAD_NAME } from './toolkit-layout';
import type { ToolkitManifest } from './toolkit-manifest';

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
  | { readonly kind: 'check-hashes'; readonly argv: GuestArgv; readonly expected: readonly { readonly guestPath: string; readonly sha256: string }[] };

/** The only guest program the plan runs, to make the uploaded busybox executable (it is read back right after). */
export const GUEST_CHMOD = '/bin/chmod';

// Shell scripts run by OUR busybox sh, with every applet called through "$1" (our busybox) by path, so
// nothing resolves to a guest binary through PATH. "$2" is the toolkit folder.
const IS_MOUNTED = `"$1" awk -v dir="$2" '$2 == dir { found = 1 } END { exit !found }' /proc/self/mounts`;
const MOUNT_SCRIPT = [
  'set -e',
  // A toolkit left by an interrupted run: replace it rather than stack a second tmpfs on it.
  `if ${IS_MOUNTED}; then "$1" umount -l "$2"; fi`,
  '"$1" mkdir -p "$2"',
  '"$1" mount -t tmpfs -o mode=0700,nosuid,nodev civic-toolkit "$2"',
].join('\n');
// Lazy unmount: a diagnostic still running from the tmpfs keeps it alive until it exits instead of failing
// here. rmdir removes the folder only when empty; the bootstrap busybox removes itself last.
const REMOVE_SCRIPT = [`if ${IS_MOUNTED}; then "$1" umount -l "$2"; fi`, '"$1" rmdir "$2" 2>/dev/null || true', '"$1" rm -f "$1"'].join('\n');

/** Name ($0) of the mount script, so logs and process lists say what it is. */
export const MOUNT_SCRIPT_NAME = 'civic-toolkit-mount';

/** Name ($0) of the removal script. */
export const REMOVE_SCRIPT_NAME = 'civic-toolkit-remove';

/**
 * Where the bootstrap busybox goes: /run (a tmpfs on systemd guests), never the clone's disks.
 *
 * busybox takes the applet from argv[1] when its own file name starts with "busybox".
 */
export function bootstrapPathFor(token: string): string {
  if (!/^[0-9a-f]{8,32}$/.test(token)) throw new Error(`bootstrap token must be hex: ${token}`);
  return `/run/busybox.civic-${token}`;
}

/** The steps that mount a tmpfs at /run/civic, fill it with the toolkit and verify every file by hash. */
export function injectionSteps(manifest: ToolkitManifest, bootstrapPath: string): readonly ToolkitStep[] {
  const busybox = manifest.files.find((file) => file.path === 'bin/busybox');
  if (!busybox) throw new Error('the toolkit manifest lists no bin/busybox');
  const payload = `${GUEST_TOOLKIT_DIR}/${TOOLKIT_PAYLOAD_NAME}`;
  const files = manifest.files.map((file) => ({ guestPath: `${GUEST_TOOLKIT_DIR}/${file.path}`, sha256: file.sha256 }));
  return [
    { kind: 'put', source: 'busybox', guestPath: bootstrapPath },
    { kind: 'exec', purpose: 'make the uploaded busybox executable', argv: [GUEST_CHMOD, '0700', bootstrapPath], timeoutMs: 30_000 },
    { kind: 'check-file', guestPath: bootstrapPath, sha256: busybox.sha256 },
    { kind: 'exec', purpose: 'mount the toolkit tmpfs', argv: [bootstrapPath, 'sh', '-c', MOUNT_SCRIPT, MOUNT_SCRIPT_NAME, bootstrapPath, GUEST_TOOLKIT_DIR], timeoutMs: 30_000 },
    { kind: 'put', source: 'payload', guestPath: payload },
    { kind: 'exec', purpose: 'unpack the toolkit', argv: [bootstrapPath, 'tar', '-xzf', payload, '-C', GUEST_TOOLKIT_DIR], timeoutMs: 300_000 },
    { kind: 'exec', purpose: 'delete the tarball', argv: [bootstrapPath, 'rm', '-f', payload], timeoutMs: 30_000 },
    { kind: 'check-hashes', argv: [GUEST_BUSYBOX, 'sha256sum', ...files.map((file) => file.guestPath)], expected: files },
  ];
}

/** The step that unmounts the toolkit, removes /run/civic when empty, and deletes the bootstrap busybox. */
export function removalSteps(bootstrapPath: string): readonly ToolkitStep[] {
  return [
    {
      kind: 'exec',
      purpose: 'unmount and remove the toolkit',
      argv: [bootstrapPath, 'sh', '-c', REMOVE_SCRIPT, REMOVE_SCRIPT_NAME, bootstrapPath, GUEST_TOOLKIT_DIR],
      timeoutMs: 60_000,
    },
  ];
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
