import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CaptureStep } from '../../preload/api';
import { backtraceArgv, collectorArgv, coreDumpArgv, kernelStacksArgv, syscallSummaryArgv, type CollectorDocument } from '../toolkit/diagnostic-commands';
import { bootstrapPathFor, injectionSteps, removalSteps, unconfirmedFiles, type ToolkitStep } from '../toolkit/injection-plan';
import { GUEST_BUSYBOX, GUEST_OUTPUT_DIR } from '../toolkit/toolkit-layout';
import { toolkitManifestSchema } from '../toolkit/toolkit-manifest';
import type { ArtifactRole, ManifestCommand } from '../bundle/bundle-schema';
import { WorkbenchFailure, throwIfAborted, toWorkbenchError } from '../errors';
import { runRemoteCommand, type CommandResult } from '../ssh/remote-command';
import type { SshConnection } from '../ssh/ssh-connect';
import type { StagedArtifact } from './capture-bundle';
import { sha256OfFile } from './file-digest';
import type { LocalToolkit } from './host-toolkit';

/** What collecting over SSH produced: artifacts already local, and what did not run. */
export interface SshCollectResult {
  readonly artifacts: readonly StagedArtifact[];
  readonly skipped: readonly { readonly step: string; readonly reason: string }[];
  readonly failed: readonly { readonly step: string; readonly pid: number | null; readonly code: string; readonly message: string }[];
  readonly commands: readonly ManifestCommand[];
}

const documentSteps = new Set(['processes', 'sockets', 'system']);
const notOverSsh = new Set(['metrics', 'command']);

/**
 * Collects in the clone through its own sshd: the toolkit goes into a tmpfs at /run/civic (the same
 * injection plan the guest agent way uses, checked by hash), the collector and diagnostics
 * run from there, and their outputs come back over the same login into `stagingDir`, hashed here.
 * The toolkit is removed at the end, also on error and cancel.
 */
export async function collectOverSsh(
  guest: SshConnection,
  toolkit: LocalToolkit,
  steps: readonly CaptureStep[],
  stagingDir: string,
  progress: (value: number, step: string) => void,
  signal: AbortSignal,
): Promise<SshCollectResult> {
  const manifest = toolkitManifestSchema.parse(JSON.parse(await readFile(toolkit.manifestPath, 'utf8')));
  const commands: ManifestCommand[] = [];
  const artifacts: StagedArtifact[] = [];
  const skipped: { step: string; reason: string }[] = [];
  const failed: { step: string; pid: number | null; code: string; message: string }[] = [];

  const bootstrap = bootstrapPathFor(randomBytes(6).toString('hex'));
  const run = async (argv: readonly string[], timeoutMs: number): Promise<CommandResult> => {
    const startedAt = new Date().toISOString();
    const timeout = AbortSignal.timeout(timeoutMs);
    const result = await runRemoteCommand(guest, argv, { signal: AbortSignal.any([signal, timeout]), maxOutputBytes: 256 * 1024 * 1024 });
    commands.push({ argv: [...argv], exitCode: result.exitCode === null ? null : Math.max(-255, Math.min(255, result.exitCode)), startedAt, endedAt: new Date().toISOString() });
    return result;
  };
  const stage = async (path: string, role: ArtifactRole, mediaType: string, step: string, pid: number | null, bytes: Buffer): Promise<void> => {
    const localPath = join(stagingDir, ...path.split('/'));
    await mkdir(dirname(localPath), { recursive: true });
    await writeFile(localPath, bytes, { mode: 0o600 });
    const size = (await stat(localPath)).size;
    artifacts.push({ artifact: { path, role, mediaType, size, sha256: await sha256OfFile(localPath), step, pid }, localPath, verifiedAt: new Date().toISOString() });
  };
  // Files move over the login's exec channels (stdin in, stdout out), not SFTP: small guests often run
  // sshd without an sftp-server. Only the bootstrap upload and its read-back use the guest's sh and cat.
  const fetch = async (guestPath: string, path: string): Promise<Buffer> => {
    const result = await run([GUEST_BUSYBOX, 'cat', guestPath], 600_000);
    if (result.exitCode !== 0) throw new WorkbenchFailure('HELPER_FAILED', `Cannot read ${guestPath} in the clone.`, { subject: path });
    return result.stdout;
  };
  const put = async (argv: readonly string[], bytes: Buffer, what: string): Promise<void> => {
    const startedAt = new Date().toISOString();
    const result = await runRemoteCommand(guest, argv, { signal, stdin: bytes, maxOutputBytes: 64 * 1024 });
    commands.push({ argv: [...argv], exitCode: result.exitCode, startedAt, endedAt: new Date().toISOString() });
    if (result.exitCode !== 0) throw new WorkbenchFailure('HELPER_FAILED', `Cannot upload ${what} to the clone over SSH.`, { subject: guest.label });
  };
  const runStep = async (step: ToolkitStep): Promise<void> => {
    switch (step.kind) {
      case 'put': {
        if (step.source === 'busybox') {
          await put(['sh', '-c', 'umask 077 && cat > "$1"', 'civic-put', step.guestPath], await readFile(toolkit.busyboxPath), 'the bootstrap busybox');
        } else {
          await put([bootstrap, 'sh', '-c', '"$1" cat > "$2"', 'civic-put', bootstrap, step.guestPath], await readFile(toolkit.payloadPath), 'the toolkit');
        }
        return;
      }
      case 'exec': {
        const result = await run(step.argv, step.timeoutMs);
        if (result.exitCode !== 0) {
          throw new WorkbenchFailure('HELPER_FAILED', `Cannot ${step.purpose} in the clone over SSH (exit ${result.exitCode ?? result.signal}).`, {
            subject: guest.label,
          });
        }
        return;
      }
      case 'check-file': {
        const bytes = (await run(['cat', step.guestPath], 60_000)).stdout;
        if (createHash('sha256').update(bytes).digest('hex') !== step.sha256) {
          throw new WorkbenchFailure('HELPER_FAILED', `${step.guestPath} reads back from the clone with another hash: the guest changed it.`, { subject: guest.label });
        }
        return;
      }
      case 'check-hashes': {
        const result = await run(step.argv, 300_000);
        const wrong = unconfirmedFiles(result.stdout.toString('utf8'), step.expected);
        if (wrong.length > 0) {
          throw new WorkbenchFailure('HELPER_FAILED', `${wrong.length} toolkit files in the clone do not match the manifest (${wrong.slice(0, 3).join(', ')}).`, { subject: guest.label });
        }
        return;
      }
    }
  };

  progress(0.05, 'collect:toolkit');
  try {
    for (const step of injectionSteps(manifest, bootstrap)) {
      throwIfAborted(signal);
      await runStep(step);
    }
    const wanted = steps.filter((step) => step.id !== 'memory-dump');
    for (const [index, step] of wanted.entries()) {
      throwIfAborted(signal);
      progress(0.1 + (0.85 * index) / Math.max(1, wanted.length), `collect:${step.id}`);
      if (notOverSsh.has(step.id)) {
        skipped.push({ step: step.id, reason: 'Not available through the SSH way in yet; use a VM with a guest agent.' });
        continue;
      }
      const pids = step.pids ?? [];
      try {
        if (documentSteps.has(step.id)) {
          const output = `${GUEST_OUTPUT_DIR}/${step.id}.json`;
          const result = await run(collectorArgv(step.id as CollectorDocument, output), 300_000);
          if (result.exitCode !== 0 && result.exitCode !== 1) throw new WorkbenchFailure('HELPER_FAILED', `The collector failed for ${step.id} (exit ${result.exitCode ?? result.signal}).`);
          await stage(`artifacts/${step.id}.json`, step.id as ArtifactRole, 'application/json', step.id, null, await fetch(output, `artifacts/${step.id}.json`));
        } else if (step.id === 'kernel-symbols') {
          await stage('artifacts/kernel/version.txt', 'kernel-symbols', 'text/plain', step.id, null, (await run([GUEST_BUSYBOX, 'cat', '/proc/version'], 60_000)).stdout);
          await stage('artifacts/kernel/kallsyms.txt', 'kernel-symbols', 'text/plain', step.id, null, (await run([GUEST_BUSYBOX, 'cat', '/proc/kallsyms'], 120_000)).stdout);
          const btf = await run([GUEST_BUSYBOX, 'cat', '/sys/kernel/btf/vmlinux'], 120_000);
          if (btf.exitCode === 0) await stage('artifacts/kernel/btf-vmlinux', 'kernel-symbols', 'application/octet-stream', step.id, null, btf.stdout);
        } else {
          for (const pid of pids) {
            try {
              if (step.id === 'backtraces') {
                await stage(`artifacts/backtraces/${pid}.txt`, 'backtraces', 'text/plain', step.id, pid, (await run(backtraceArgv(pid), 300_000)).stdout);
              } else if (step.id === 'kernel-stacks') {
                await stage(`artifacts/kernel-stacks/${pid}.txt`, 'kernel-stacks', 'text/plain', step.id, pid, (await run(kernelStacksArgv(pid), 60_000)).stdout);
              } else if (step.id === 'syscalls') {
                const seconds = step.seconds ?? 5;
                await stage(`artifacts/syscalls/${pid}.txt`, 'syscalls', 'text/plain', step.id, pid, (await run(syscallSummaryArgv(pid, seconds), (seconds + 60) * 1000)).stderr);
              } else if (step.id === 'core-dump') {
                const result = await run(coreDumpArgv(pid), 600_000);
                if (result.exitCode !== 0) throw new WorkbenchFailure('HELPER_FAILED', `gcore of process ${pid} ended with exit ${result.exitCode ?? result.signal}.`);
                const core = await fetch(`${GUEST_OUTPUT_DIR}/core.${pid}`, `artifacts/cores/core.${pid}`);
                await stage(`artifacts/cores/core.${pid}`, 'core-dump', 'application/x-coredump', step.id, pid, core);
                await run([GUEST_BUSYBOX, 'rm', '-f', `${GUEST_OUTPUT_DIR}/core.${pid}`], 60_000);
              }
            } catch (error) {
              if (signal.aborted) throw error;
              const problem = toWorkbenchError(error);
              failed.push({ step: step.id, pid, code: problem.code, message: problem.message });
            }
          }
        }
      } catch (error) {
        if (signal.aborted) throw error;
        const problem = toWorkbenchError(error);
        failed.push({ step: step.id, pid: null, code: problem.code, message: problem.message });
      }
    }
    progress(1, 'collect:done');
    return { artifacts, skipped, failed, commands };
  } finally {
    for (const step of removalSteps(bootstrap)) await runRemovalStep(guest, step);
  }
}

async function runRemovalStep(guest: SshConnection, step: ToolkitStep): Promise<void> {
  if (step.kind !== 'exec') return;
  // Its own deadline, not the capture's signal: a cancelled capture must still take the toolkit out.
  await runRemoteCommand(guest, step.argv, { signal: AbortSignal.timeout(step.timeoutMs), maxOutputBytes: 64 * 1024 }).catch(() => undefined);
}
