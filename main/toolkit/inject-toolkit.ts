import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ToolkitBuild } from './build-toolkit';
import { guestReadFile, guestRun, guestWriteFile, sha256Hex, type GuestAgent } from './guest-agent';
import { bootstrapPathFor, injectionSteps, removalSteps, unconfirmedFiles, type ToolkitStep } from './injection-plan';
import { GUEST_COLLECTOR, GUEST_OUTPUT_DIR, GUEST_TOOLKIT_DIR } from './toolkit-layout';
import type { ToolkitManifest } from './toolkit-manifest';
import { ToolkitError } from './toolkit-error';
import type { CollectorDocument } from './diagnostic-commands';

/** A toolkit mounted in a guest. */
export interface InjectedToolkit {
  /** Our busybox outside the tmpfs: it unmounts the tmpfs and then removes itself. */
  readonly bootstrapPath: string;
  readonly manifest: ToolkitManifest;
  /** Milliseconds per step (by purpose), for reports. */
  readonly timings: Readonly<Record<string, number>>;
}

/**
 * Mounts a tmpfs at /run/civic in the guest and fills it with the toolkit, verified by hash.
 *
 * Runs {@link injectionSteps} through qemu-ga: busybox uploaded to /run, made executable by the guest's chmod,
 * read back and hashed on the host; with it, the tmpfs mounted, the tarball uploaded in chunks and unpacked;
 * every file hashed by the toolkit's own sha256sum and compared on the host. A failure removes what was done.
 */
export async function injectToolkit(agent: GuestAgent, build: ToolkitBuild): Promise<InjectedToolkit> {
  const busybox = await readFile(build.busyboxPath);
  const expected = build.manifest.files.find((file) => file.path === 'bin/busybox')?.sha256;
  if (!expected || sha256Hex(busybox) !== expected) {
    throw new ToolkitError(`the cached toolkit ${build.key} does not match its manifest`, `remove ${build.dir} and build again`);
  }
  const bootstrapPath = bootstrapPathFor(randomBytes(6).toString('hex'));
  const timings: Record<string, number> = {};
  const sources = { busybox: async () => busybox, payload: () => readFile(build.payloadPath) };
  try {
    for (const step of injectionSteps(build.manifest, bootstrapPath)) {
      const started = Date.now();
      await runStep(agent, step, sources);
      const name = step.kind === 'exec' ? step.purpose : `${step.kind} ${step.kind === 'check-hashes' ? 'toolkit' : step.guestPath}`;
      timings[name] = Date.now() - started;
    }
    return { bootstrapPath, manifest: build.manifest, timings };
  } catch (error) {
    await removeToolkit(agent, { bootstrapPath, manifest: build.manifest, timings }).catch(() => undefined);
    throw error;
  }
}

/** Unmounts the toolkit tmpfs, removes /run/civic when empty, and deletes the bootstrap busybox. */
export async function removeToolkit(agent: GuestAgent, injected: InjectedToolkit): Promise<void> {
  for (const step of removalSteps(injected.bootstrapPath)) await runStep(agent, step, {});
}

/** Runs one plan step through a guest agent; throws a ToolkitError when it does not hold. */
export async function runStep(agent: GuestAgent, step: ToolkitStep, sources: Partial<Record<'busybox' | 'payload', () => Promise<Buffer>>>): Promise<void> {
  switch (step.kind) {
    case 'put': {
      const read = sources[step.source];
      if (!read) throw new ToolkitError(`no ${step.source} to upload`);
      await guestWriteFile(agent, step.guestPath, await read());
      return;
    }
    case 'exec': {
      const [program, ...args] = step.argv;
      let run;
      try {
        run = await guestRun(agent, program, args, step.timeoutMs);
      } catch (error) {
        throw new ToolkitError(`cannot ${step.purpose} in the guest: ${error instanceof Error ? error.message : String(error)}`, `is ${program} there?`);
      }
      if (run.exitCode !== 0) {
        const how = run.signal !== null ? `signal ${run.signal}` : `exit code ${run.exitCode}`;
        throw new ToolkitError(`cannot ${step.purpose} in the guest: ${program} ended with ${how}`, run.stderr.toString('utf8').trim().slice(-2000));
      }
      return;
    }
    case 'check-file': {
      const bytes = await guestReadFile(agent, step.guestPath, 256 * 1024 * 1024);
      if (sha256Hex(bytes) !== step.sha256) {
        throw new ToolkitError(`${step.guestPath} reads back with another hash`, 'the guest changed the file: do not trust this guest');
      }
      return;
    }
    case 'check-hashes': {
      const [program, ...args] = step.argv;
      const run = await guestRun(agent, program, args, step.timeoutMs);
      const wrong = unconfirmedFiles(run.stdout.toString('utf8'), step.expected);
      if (wrong.length > 0) {
        throw new ToolkitError(
          `${wrong.length} toolkit files in the guest do not match the manifest: ${wrong.slice(0, 5).join(', ')}`,
          run.stderr.toString('utf8').trim().slice(-500) || 'the upload was damaged or the guest changed the files',
        );
      }
      return;
    }
  }
}

/** A structured document the collector can write. */
export type { CollectorDocument };

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
