import { isAbsolute, resolve } from 'node:path';
import type { CaptureAccess, CaptureOutcome, HostNoticeEvent, JobSnapshot } from '../../../preload/api';
import { stepsFromList, triageSteps } from '../../capture-session/capture-steps';
import { toWorkbenchError } from '../../errors';
import type { CliIo } from './cli-io';
import { resolveVmKey } from './collect-vm';
import { createCliServices, defaultHostsCliEnvironment, resolveHostId, type HostsCliEnvironment } from './hosts-cli-context';
import { parseOptions } from './hosts-command';
import { describeFailure, formatBytes } from './report-format';
import { formatHostNotice } from './vms-command';

const usage = `usage: civic collect <host> <vm> [--steps a,b,c] [--pids 1,2] [--out DIR] [--access auto|qga|ssh|none] [--accept-new-host-key]
                     [--guest-user USER --guest-key FILE [--guest-host-key SHA256:...]]

Clones a running VM on the host (the VM keeps running), collects in the clone, and writes a verified
capture (.civic). <vm> is the VM's reference from \`civic vms\` (qmp:/... or libvirt:NAME) or its name.
Default steps: processes,sockets,system,kernel-symbols (the triage set). Steps needing a process
(backtraces, kernel-stacks, core-dump, syscalls) take the --pids. Progress goes to stderr; the
capture's path is printed on stdout. Exit 0 when the capture verifies, 1 on failure, 2 on usage.
A VM without a guest agent is reached over SSH into its clone with --guest-user and --guest-key; the
clone shows the VM's own host key, which must be given with --guest-host-key (a first run without it
fails and prints the key offered, to be checked).
`;

/** One progress line for stderr, e.g. `[ 42%] Collecting (processes)`. */
export function progressLine(job: JobSnapshot): string {
  return `[${String(Math.round(job.value * 100)).padStart(3)}%] ${job.step}${job.lastLine !== undefined && job.lastLine !== job.step ? ` - ${job.lastLine}` : ''}\n`;
}

/** What a finished capture printed on stderr: artifacts, skips and failures. */
export function formatOutcome(outcome: CaptureOutcome): string {
  const lines = [
    `Capture    ${outcome.bundlePath}`,
    `Verified   ${outcome.verified ? 'yes: every artifact hash and the custody chain' : 'NO'}`,
    `Way in     ${{ qga: 'qemu-guest-agent', ssh: 'SSH into the clone', none: 'agentless (memory dump only)' }[outcome.access]}; clone ${outcome.cloneId} by ${outcome.strategy}`,
    `Processes  ${outcome.processCount}; findings ${outcome.findingCount}`,
    ...outcome.artifacts.map((artifact) => `  ${artifact.path} (${formatBytes(artifact.size)}) sha256 ${artifact.sha256}`),
    ...outcome.skipped.map((skip) => `Skipped    ${skip.step}: ${skip.reason}`),
    ...outcome.failed.map((failure) => `Failed     ${failure.step}${failure.pid === null ? '' : ` pid ${failure.pid}`}: ${failure.code} ${failure.message}`),
  ];
  if (outcome.keptOnHost !== null) lines.push(`Kept       on the host in ${outcome.keptOnHost}`);
  return lines.join('\n') + '\n';
}

function parseList(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((part) => part.trim()).filter((part) => part !== '');
}

/** `civic collect <host> <vm>`: a capture through a live clone, from the command line. */
export async function collectCommand(args: readonly string[], io: CliIo, environment: HostsCliEnvironment = defaultHostsCliEnvironment()): Promise<number> {
  const parsed = parseOptions(args, ['--steps', '--pids', '--out', '--access', '--guest-user', '--guest-key', '--guest-host-key'], ['--accept-new-host-key']);
  if (typeof parsed === 'string' || parsed.positional.length !== 2) {
    io.err(typeof parsed === 'string' ? `civic collect: ${parsed}\n${usage}` : usage);
    return 2;
  }
  const pidTexts = parseList(parsed.values.get('--pids')?.at(-1));
  const pids = pidTexts.map(Number);
  if (pids.some((pid) => !Number.isInteger(pid) || pid <= 0)) {
    io.err(`civic collect: --pids takes positive process ids\n${usage}`);
    return 2;
  }
  const stepNames = parseList(parsed.values.get('--steps')?.at(-1));
  const steps = stepNames.length === 0 ? [...triageSteps] : stepsFromList(stepNames, pids);
  if (typeof steps === 'string') {
    io.err(`civic collect: ${steps}\n`);
    return 2;
  }
  const access = parsed.values.get('--access')?.at(-1) ?? 'auto';
  if (access !== 'auto' && access !== 'qga' && access !== 'ssh' && access !== 'none') {
    io.err(`civic collect: --access is auto, qga, ssh or none\n${usage}`);
    return 2;
  }
  const guestUser = parsed.values.get('--guest-user')?.at(-1);
  const guestKey = parsed.values.get('--guest-key')?.at(-1);
  const guestHostKey = parsed.values.get('--guest-host-key')?.at(-1);
  if ((guestUser === undefined) !== (guestKey === undefined) || (guestHostKey !== undefined && guestUser === undefined)) {
    io.err(`civic collect: --guest-user and --guest-key go together (and --guest-host-key with them)\n${usage}`);
    return 2;
  }
  if (guestHostKey !== undefined && !/^SHA256:[A-Za-z0-9+/]{43}$/.test(guestHostKey)) {
    io.err('civic collect: --guest-host-key is an OpenSSH SHA256 fingerprint (SHA256:...)\n');
    return 2;
  }
  const guestLogin =
    guestUser === undefined || guestKey === undefined
      ? undefined
      : { user: guestUser, identityFile: resolve(guestKey), ...(guestHostKey === undefined ? {} : { hostKeySha256: guestHostKey }) };
  const out = parsed.values.get('--out')?.at(-1);
  const [hostName = '', vmName = ''] = parsed.positional;

  const services = createCliServices(environment, io, { acceptNewHostKey: parsed.flags.has('--accept-new-host-key') });
  let jobId: string | undefined;
  let lastStep = '';
  const detach = services.events.forward((name, payload) => {
    // The first deploy of the run recovers interrupted clones by itself (as `civic vms` does): say so.
    if (name === 'hostNotice') io.err(formatHostNotice(payload as HostNoticeEvent));
    if (name !== 'jobProgress') return;
    const { job } = payload as { job: JobSnapshot };
    if (job.jobId !== jobId || job.step === lastStep) return;
    lastStep = job.step;
    io.err(progressLine(job));
  });
  try {
    const hostId = await resolveHostId(services, hostName);
    // The list the name is resolved with is the one the capture starts from: it does not list again.
    const vmId = resolveVmKey((await services.hosts.listVms(hostId)).vms, vmName, hostName);
    const started = await services.capture.start({
      hostId,
      vmId,
      steps,
      access: access as CaptureAccess,
      ...(guestLogin === undefined ? {} : { guestLogin }),
      ...(out === undefined ? {} : { caseDir: isAbsolute(out) ? out : resolve(out) }),
    });
    jobId = started.jobId;
    const outcome = await services.capture.wait(started.jobId);
    io.err(formatOutcome(outcome));
    io.out(`${outcome.bundlePath}\n`);
    return outcome.verified ? 0 : 1;
  } catch (error) {
    io.err(describeFailure(toWorkbenchError(error)));
    return 1;
  } finally {
    detach();
    await services.shutdown();
  }
}
