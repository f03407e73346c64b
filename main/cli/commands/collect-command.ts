import { isAbsolute, resolve } from 'node:path';
import type { CaptureAccess, CaptureOutcome, JobSnapshot } from '../../../preload/api';
import { stepsFromList, triageSteps } from '../../capture-session/capture-steps';
import { toWorkbenchError } from '../../errors';
import type { CliIo } from './cli-io';
import { createCliServices, defaultHostsCliEnvironment, resolveHostId, type HostsCliEnvironment } from './hosts-cli-context';
import { parseOptions } from './hosts-command';
import { describeFailure, formatBytes } from './report-format';

const usage = `usage: civic collect <host> <vm> [--steps a,b,c] [--pids 1,2] [--out DIR] [--access auto|qga|none] [--accept-new-host-key]

Clones a running VM on the host (the VM keeps running), collects in the clone, and writes a verified
capture (.civic). <vm> is the VM's reference from \`civic vms\` (qmp:/... or libvirt:NAME) or its name.
Default steps: processes,sockets,system,kernel-symbols (the triage set). Steps needing a process
(backtraces, kernel-stacks, core-dump, syscalls) take the --pids. Progress goes to stderr; the
capture's path is printed on stdout. Exit 0 when the capture verifies, 1 on failure, 2 on usage.
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
    `Way in     ${outcome.access === 'qga' ? 'qemu-guest-agent' : 'agentless (memory dump only)'}; clone ${outcome.cloneId} by ${outcome.strategy}`,
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
  const parsed = parseOptions(args, ['--steps', '--pids', '--out', '--access'], ['--accept-new-host-key']);
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
  if (access !== 'auto' && access !== 'qga' && access !== 'none') {
    io.err(`civic collect: --access is auto, qga or none\n${usage}`);
    return 2;
  }
  const out = parsed.values.get('--out')?.at(-1);
  const [hostName = '', vmId = ''] = parsed.positional;

  const services = createCliServices(environment, io, { acceptNewHostKey: parsed.flags.has('--accept-new-host-key') });
  let jobId: string | undefined;
  let lastStep = '';
  const detach = services.events.forward((name, payload) => {
    if (name !== 'jobProgress') return;
    const { job } = payload as { job: JobSnapshot };
    if (job.jobId !== jobId || job.step === lastStep) return;
    lastStep = job.step;
    io.err(progressLine(job));
  });
  try {
    const hostId = await resolveHostId(services, hostName);
    const started = await services.capture.start({
      hostId,
      vmId,
      steps,
      access: access as CaptureAccess,
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
