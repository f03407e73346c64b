import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ToolkitBuild } from './build-toolkit';
import { guestReadFile, guestRun, guestRunChecked, guestWriteFile, sha256Hex, type GuestAgent } from './guest-agent';
import { GUEST_COLLECTOR, GUEST_OUTPUT_DIR, GUEST_TOOLKIT_DIR, TOOLKIT_PAYLOAD_NAME } from './toolkit-layout';
import type { ToolkitManifest } from './toolkit-manifest';
import { ToolkitError } from './toolkit-error';

/** The only guest programs ever run: to make the uploaded busybox executable (it is verified right after). */
const GUEST_CHMOD_CANDIDATES = ['/bin/chmod', '/usr/bin/chmod'] as const;

/** A toolkit mounted in a guest. */
export interface InjectedToolkit {
  /** Our busybox outside the tmpfs: it unmounts the tmpfs and then removes itself. */
  readonly bootstrapPath: string;
  readonly manifest: ToolkitManifest;
  /** Whether {@link GUEST_TOOLKIT_DIR} existed before (then it is left in place on removal). */
  readonly mountPointExisted: boolean;
  /** Milliseconds per step, for reports. */
  readonly timings: Readonly<Record<string, number>>;
}

/**
 * Mounts a tmpfs at /run/civic in the guest and fills it with the toolkit, verified by hash.
 *
 * Steps: upload busybox to /run, make it executable, read it back and check its hash on the host; with it,
 * mount the tmpfs; upload the tarball in chunks and unpack it with that busybox; hash every file with the
 * toolkit's own sha256sum and compare with the manifest on the host. Any mismatch removes what was done.
 */
export async function injectToolkit(agent: GuestAgent, build: ToolkitBuild): Promise<InjectedToolkit> {
  const timings: Record<string, number> = {};
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await work();
    } finally {
      timings[step] = Date.now() - started;
    }
  };
  const busybox = await readFile(build.busyboxPath);
  const expectedBusybox = build.manifest.files.find((file) => file.path === 'bin/busybox')?.sha256;
  if (!expectedBusybox || sha256Hex(busybox) !== expectedBusybox) {
    throw new ToolkitError(`the cached toolkit ${build.key} does not match its manifest`, `remove ${build.dir} and build again`);
  }
  // busybox picks the applet from argv[0] unless its name starts with "busybox": then argv[1] names it.
  const bootstrapPath = `/run/busybox.civic-${randomBytes(6).toString('hex')}`;
  let injected: InjectedToolkit = { bootstrapPath, manifest: build.manifest, mountPointExisted: true, timings };
  try {
    await timed('bootstrap', async () => {
      await guestWriteFile(agent, bootstrapPath, busybox);
      await makeExecutable(agent, bootstrapPath);
      const readBack = await guestReadFile(agent, bootstrapPath, busybox.length + 1);
      if (sha256Hex(readBack) !== expectedBusybox) {
        throw new ToolkitError(`busybox uploaded to ${bootstrapPath} reads back with another hash`, 'the guest changed the file: do not trust this guest');
      }
    });
    const mountPointExisted = (await guestRun(agent, bootstrapPath, ['test', '-d', GUEST_TOOLKIT_DIR])).exitCode === 0;
    injected = { ...injected, mountPointExisted };
    await timed('mount', async () => {
      if (await isMounted(agent, bootstrapPath)) {
        // A toolkit left by an interrupted run: replace it rather than stack a second tmpfs on it.
        await guestRunChecked(agent, bootstrapPath, ['umount', '-l', GUEST_TOOLKIT_DIR]);
      }
      await guestRunChecked(agent, bootstrapPath, ['mkdir', '-p', GUEST_TOOLKIT_DIR]);
      await guestRunChecked(agent, bootstrapPath, ['mount', '-t', 'tmpfs', '-o', 'mode=0700,nosuid,nodev', 'civic-toolkit', GUEST_TOOLKIT_DIR]);
    });
    const payloadPath = `${GUEST_TOOLKIT_DIR}/${TOOLKIT_PAYLOAD_NAME}`;
    await timed('upload', async () => guestWriteFile(agent, payloadPath, await readFile(build.payloadPath)));
    await timed('unpack', async () => {
      await guestRunChecked(agent, bootstrapPath, ['tar', '-xzf', payloadPath, '-C', GUEST_TOOLKIT_DIR], 300_000);
      await guestRunChecked(agent, bootstrapPath, ['rm', '-f', payloadPath]);
    });
    await timed('verify', () => verifyInGuest(agent, build.manifest));
    return injected;
  } catch (error) {
    await removeToolkit(agent, injected).catch(() => undefined);
    throw error;
  }
}

/** Hashes every toolkit file with the toolkit's own sha256sum in the guest and compares on the host. */
export async function verifyInGuest(agent: GuestAgent, manifest: ToolkitManifest): Promise<void> {
  const paths = manifest.files.map((file) => `${GUEST_TOOLKIT_DIR}/${file.path}`);
  const run = await guestRun(agent, `${GUEST_TOOLKIT_DIR}/bin/busybox`, ['sha256sum', ...paths], 300_000);
  const seen = new Map<string, string>();
  for (const line of run.stdout.toString('utf8').split('\n')) {
    const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (match?.[1] && match[2]) seen.set(match[2], match[1]);
  }
  const wrong = manifest.files.filter((file) => seen.get(`${GUEST_TOOLKIT_DIR}/${file.path}`) !== file.sha256).map((file) => file.path);
  if (wrong.length > 0) {
    throw new ToolkitError(
      `${wrong.length} toolkit files in the guest do not match the manifest: ${wrong.slice(0, 5).join(', ')}`,
      run.stderr.toString('utf8').trim().slice(-500) || 'the upload was damaged or the guest changed the files',
    );
  }
}

/**
 * Unmounts the toolkit tmpfs, removes the mount point we made and the bootstrap busybox.
 *
 * Every step is tried even when an earlier one failed; the first failure is thrown at the end.
 */
export async function removeToolkit(agent: GuestAgent, injected: InjectedToolkit): Promise<void> {
  const { bootstrapPath } = injected;
  const failures: unknown[] = [];
  const attempt = async (work: () => Promise<unknown>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      failures.push(error);
    }
  };
  await attempt(async () => {
    // Lazy: a diagnostic still running from the tmpfs keeps it alive until it exits, instead of failing here.
    if (await isMounted(agent, bootstrapPath)) {
      await guestRunChecked(agent, bootstrapPath, ['umount', '-l', GUEST_TOOLKIT_DIR]);
    }
  });
  if (!injected.mountPointExisted) await attempt(() => guestRunChecked(agent, bootstrapPath, ['rmdir', GUEST_TOOLKIT_DIR]));
  await attempt(() => guestRunChecked(agent, bootstrapPath, ['rm', '-f', bootstrapPath]));
  if (failures.length > 0) throw failures[0];
}

/** A structured document the collector can write. */
export type CollectorDocument = 'processes' | 'sockets' | 'system';

/** What one collector run produced. */
export interface CollectorRun {
  readonly document: CollectorDocument;
  readonly bytes: Buffer;
  readonly exitCode: number | null;
  /** The collector's one-line summary. */
  readonly summary: string;
}

/** Runs the collector in the guest for one document and fetches the file it wrote. */
export async function runCollector(agent: GuestAgent, document: CollectorDocument, timeoutMs = 120_000): Promise<CollectorRun> {
  const output = `${GUEST_OUTPUT_DIR}/${document}.json`;
  const run = await guestRun(agent, GUEST_COLLECTOR, ['-o', output, document], timeoutMs);
  const summary = run.stderr.toString('utf8').trim();
  // Exit 1 means written but cut at a cap; anything else wrote nothing usable.
  if (run.exitCode !== 0 && run.exitCode !== 1) {
    throw new ToolkitError(`the collector failed for ${document} (exit ${run.exitCode ?? `signal ${run.signal}`})`, summary);
  }
  const bytes = await guestReadFile(agent, output, 64 * 1024 * 1024);
  await guestRun(agent, `${GUEST_TOOLKIT_DIR}/bin/busybox`, ['rm', '-f', output]);
  return { document, bytes, exitCode: run.exitCode, summary };
}

/** Whether the toolkit folder is a mount point (busybox-static has no `mountpoint` applet: ask /proc). */
async function isMounted(agent: GuestAgent, busybox: string): Promise<boolean> {
  const program = `$2 == "${GUEST_TOOLKIT_DIR}" { found = 1 } END { exit !found }`;
  return (await guestRun(agent, busybox, ['awk', program, '/proc/self/mounts'])).exitCode === 0;
}

async function makeExecutable(agent: GuestAgent, path: string): Promise<void> {
  for (const chmod of GUEST_CHMOD_CANDIDATES) {
    try {
      const run = await guestRun(agent, chmod, ['0700', path]);
      if (run.exitCode === 0) return;
    } catch {
      // Not present in this guest: try the next spelling.
    }
  }
  throw new ToolkitError(`cannot make ${path} executable in the guest`, 'the guest has no chmod at /bin or /usr/bin');
}
