import { isAbsolute, resolve } from 'node:path';
import type { AgentRunRequest, ExperimentOutcome, ExperimentReport, HostNoticeEvent, JobSnapshot, TuningRequest, TwinExecResult, TwinRequest, TwinSummary, TwinsChangedEvent } from '../../../preload/api';
import { WorkbenchFailure, toWorkbenchError } from '../../errors';
import type { EventBus } from '../../events/event-bus';
import type { HostService } from '../../services';
import type { ExperimentService } from '../../twin/experiment-service';
import { renewIntervalMs, type TwinService } from '../../twin/twin-service';
import type { CliIo } from './cli-io';
import { progressLine } from './collect-command';
import { resolveVmKey } from './collect-vm';
import { createCliServices, defaultHostsCliEnvironment, type HostsCliEnvironment } from './hosts-cli-context';
import { parseOptions } from './hosts-command';
import { describeFailure } from './report-format';
import { formatHostNotice } from './vms-command';

const usage = `usage: civic twin <start|list|renew|destroy|exec|forward|tune|agents> ...

  civic twin start <host> <vm> [--ttl 30m] [--forward 8080,80] [--static auto|A.B.C.D/P] [--detach] [--json]
  civic twin list <host> [--json]
  civic twin renew <host> <twin> [--ttl 30m]
  civic twin destroy <host> <twin>
  civic twin exec <host> <twin> [--timeout 60s] -- /bin/ps -o pid,comm
  civic twin forward <host> <twin> <guest-port>
  civic twin tune <host> <twin> --profile civic-web --parameter workers --values 1,2,4
                  [--repetitions 5] [--concurrency 16] [--warmup 2] [--duration 5] [--path /] [--out DIR] [--json]
  civic twin tune <host> <twin> --config /etc/app.conf --port 8080 [--reload "/usr/sbin/app-ctl reload"] --parameter ... --values ...
  civic twin agents <host> <twin> [--guest] [--node-exporter] [--seconds 30] [--interval 2] [--out DIR] [--json]

A twin is a clone of a running VM kept alive under a lease the host enforces: the host destroys it when
the lease runs out, whatever becomes of this machine. The lease is renewed only while a process renews
it: \`start\` stays in the foreground renewing the lease until Ctrl-C or SIGTERM, then exits without
destroying the twin (the host ends it at its expiry time; \`civic twin destroy\` ends it now). With
--detach (or --no-renew) it prints the twin and exits at once, leaving the twin to its lease.
\`forward\` tunnels a guest port to this machine over SSH and stays in the foreground while the tunnel
is wanted. \`tune\` and \`agents\` run an experiment on the twin and write a verified capture (.civic);
progress goes to stderr. Keep the twin's \`start\` running meanwhile, or give it a lease long enough.
<vm> is the VM's reference from \`civic vms\` or its name; --static gives the guest's own address when it
is not on DHCP (\`auto\` reads it in the twin and clones again on that subnet).
Durations: 90s, 30m, 2h or plain seconds. The lease is 1m to 24h (default 30m).
Exit 0 on success, 1 on a failure, 2 on usage; \`exec\` exits with the guest command's status.
An unknown host key is refused unless --accept-new-host-key is given.
`;

/** What the twin commands use of the app's services (the CLI builds the real ones; tests pass fakes). */
export interface TwinCliServices {
  readonly hosts: Pick<HostService, 'list' | 'listVms'>;
  readonly twins: Pick<TwinService, 'start' | 'started' | 'list' | 'renew' | 'destroy' | 'openForward' | 'exec'>;
  readonly experiments: Pick<ExperimentService, 'profiles' | 'startTuning' | 'startAgentRun' | 'finished' | 'outcome'>;
  readonly events: Pick<EventBus, 'forward'>;
  shutdown(): Promise<void>;
}

/** What `civic twin` runs with; tests replace each. */
export interface TwinCommandDeps {
  readonly services: (io: CliIo, options: { readonly acceptNewHostKey: boolean }) => TwinCliServices;
  /** Settles when the user stops a foreground command (Ctrl-C, SIGTERM), or when `signal` fires. */
  readonly untilStopped: (signal: AbortSignal) => Promise<void>;
  readonly now: () => number;
}

/** Waits for SIGINT or SIGTERM. */
export function untilSignal(signal: AbortSignal): Promise<void> {
  return new Promise((resolveStop) => {
    // A signal listener does not keep Node running, and the renew timers are unref'd so the app can
    // quit: this interval is what holds a foreground command open until it is told to stop.
    const keepAlive = setInterval(() => undefined, 60_000);
    const stop = (): void => {
      clearInterval(keepAlive);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal.removeEventListener('abort', stop);
      resolveStop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    signal.addEventListener('abort', stop, { once: true });
  });
}

/** The deps of a real run: the app's services for the CLI, the process's signals, the clock. */
export function defaultTwinCommandDeps(environment: HostsCliEnvironment = defaultHostsCliEnvironment()): TwinCommandDeps {
  return { services: (io, options) => createCliServices(environment, io, options), untilStopped: untilSignal, now: Date.now };
}

/** `90s`, `30m`, `2h` or plain seconds, as whole seconds; null for anything else. */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,6})(s|m|h)?$/.exec(text.trim());
  if (!match) return null;
  const scale = { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h' | undefined ?? 's'];
  return Number(match[1]) * scale;
}

/** Seconds as a person reads them: `45s`, `29m 58s`, `2h 5m`. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${whole % 60 === 0 ? '' : ` ${whole % 60}s`}`;
  const minutes = Math.floor((whole % 3600) / 60);
  return `${Math.floor(whole / 3600)}h${minutes === 0 ? '' : ` ${minutes}m`}`;
}

const dottedQuad = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** A command line `civic twin` understood. */
export type TwinInvocation =
  | { readonly action: 'start'; readonly host: string; readonly vm: string; readonly ttlSeconds: number; readonly guestPorts: readonly number[]; readonly guestNetwork?: TwinRequest['guestNetwork']; readonly detach: boolean; readonly json: boolean; readonly acceptNewHostKey: boolean }
  | { readonly action: 'list'; readonly host: string; readonly json: boolean; readonly acceptNewHostKey: boolean }
  | { readonly action: 'renew'; readonly host: string; readonly twin: string; readonly ttlSeconds: number; readonly json: boolean; readonly acceptNewHostKey: boolean }
  | { readonly action: 'destroy'; readonly host: string; readonly twin: string; readonly acceptNewHostKey: boolean }
  | { readonly action: 'exec'; readonly host: string; readonly twin: string; readonly argv: readonly string[]; readonly timeoutSeconds: number; readonly acceptNewHostKey: boolean }
  | { readonly action: 'forward'; readonly host: string; readonly twin: string; readonly guestPort: number; readonly acceptNewHostKey: boolean }
  | {
      readonly action: 'tune';
      readonly host: string;
      readonly twin: string;
      /** The request without the host id, which is resolved from `host` once services exist. */
      readonly tuning: Omit<TuningRequest, 'hostId' | 'twinId' | 'configPath' | 'port' | 'load'> & { readonly configPath?: string; readonly port?: number; readonly load: Omit<TuningRequest['load'], 'source'>; readonly path?: string };
      readonly json: boolean;
      readonly acceptNewHostKey: boolean;
    }
  | { readonly action: 'agents'; readonly host: string; readonly twin: string; readonly request: Omit<AgentRunRequest, 'hostId' | 'twinId'>; readonly json: boolean; readonly acceptNewHostKey: boolean };

/** A usage error: what was wrong, printed with the usage, exit 2. */
export interface TwinUsageError {
  readonly usage: string;
}

const lastValue = (values: Map<string, string[]>, name: string): string | undefined => values.get(name)?.at(-1);

function portList(text: string): number[] | null {
  const ports = text.split(',').map((part) => part.trim()).filter((part) => part !== '').map(Number);
  return ports.length > 0 && ports.every((port) => Number.isInteger(port) && port >= 1 && port <= 65535) ? ports : null;
}

/** Parses `civic twin ...`; a string result is the usage error to print. */
export function parseTwinArgs(args: readonly string[]): TwinInvocation | TwinUsageError {
  const [action, ...afterAction] = args;
  const fail = (problem: string): TwinUsageError => ({ usage: `civic twin${action === undefined ? '' : ` ${action}`}: ${problem}` });
  // Everything after `--` is the guest command line, options included.
  const separator = afterAction.indexOf('--');
  const rest = separator < 0 ? afterAction : afterAction.slice(0, separator);
  const guestArgv = separator < 0 ? [] : afterAction.slice(separator + 1);
  const valued = ['--ttl', '--forward', '--static', '--timeout', '--profile', '--config', '--port', '--reload', '--parameter', '--values', '--repetitions', '--concurrency', '--warmup', '--duration', '--path', '--out', '--seconds', '--interval'];
  const flagNames = ['--detach', '--no-renew', '--json', '--accept-new-host-key', '--guest', '--node-exporter'];
  const parsed = parseOptions(rest, valued, flagNames);
  if (typeof parsed === 'string') return fail(parsed);
  const { positional, values, flags } = parsed;
  const acceptNewHostKey = flags.has('--accept-new-host-key');
  const json = flags.has('--json');
  const allowed: Record<string, readonly string[]> = {
    start: ['--ttl', '--forward', '--static', '--detach', '--no-renew', '--json'],
    list: ['--json'],
    renew: ['--ttl', '--json'],
    destroy: [],
    exec: ['--timeout'],
    forward: [],
    tune: ['--profile', '--config', '--port', '--reload', '--parameter', '--values', '--repetitions', '--concurrency', '--warmup', '--duration', '--path', '--out', '--json'],
    agents: ['--guest', '--node-exporter', '--seconds', '--interval', '--out', '--json'],
  };
  const known = action === undefined ? undefined : allowed[action];
  if (known === undefined || !Object.prototype.hasOwnProperty.call(allowed, action ?? '')) return fail(action === undefined ? 'give an action' : `unknown action "${action}"`);
  const given = [...values.keys(), ...flags].filter((name) => name !== '--accept-new-host-key');
  const misplaced = given.find((name) => !known.includes(name));
  if (misplaced !== undefined) return fail(`${misplaced} does not go with ${action}`);
  if (separator >= 0 && action !== 'exec') return fail('only exec takes a command after --');

  const seconds = (name: string, fallback: number, min: number, max: number): number | string => {
    const text = lastValue(values, name);
    if (text === undefined) return fallback;
    const parsedSeconds = parseDuration(text);
    if (parsedSeconds === null) return `${name} takes a duration (90s, 30m, 2h or seconds), not "${text}"`;
    if (parsedSeconds < min || parsedSeconds > max) return `${name} is ${formatDuration(min)} to ${formatDuration(max)}, not ${formatDuration(parsedSeconds)}`;
    return parsedSeconds;
  };
  const count = (name: string, fallback: number, min: number, max: number): number | string => {
    const text = lastValue(values, name);
    if (text === undefined) return fallback;
    const value = Number(text);
    return Number.isInteger(value) && value >= min && value <= max ? value : `${name} is a whole number from ${min} to ${max}, not "${text}"`;
  };
  const ttl = seconds('--ttl', 1800, 60, 86_400);
  if (typeof ttl === 'string') return fail(ttl);
  const positionalCounts: Record<string, number> = { start: 2, list: 1, forward: 3 };
  if (positional.length !== (positionalCounts[action ?? ''] ?? 2)) {
    const positionalNames: Record<string, string> = { start: '<host> <vm>', list: '<host>', forward: '<host> <twin> <guest-port>' };
    const names = positionalNames[action ?? ''] ?? '<host> <twin>';
    return fail(`takes ${names}`);
  }
  const [host = '', second = '', third = ''] = positional;

  switch (action) {
    case 'start': {
      const forwardText = lastValue(values, '--forward');
      const guestPorts = forwardText === undefined ? [] : portList(forwardText);
      if (guestPorts === null) return fail(`--forward takes guest ports 1..65535 separated by commas, not "${forwardText ?? ''}"`);
      const staticText = lastValue(values, '--static');
      let guestNetwork: TwinRequest['guestNetwork'];
      if (staticText === 'auto') guestNetwork = 'auto';
      else if (staticText !== undefined) {
        const [address = '', prefixText = ''] = staticText.split('/');
        const prefix = Number(prefixText);
        if (!dottedQuad.test(address) || !/^\d{1,2}$/.test(prefixText) || prefix < 8 || prefix > 29) return fail(`--static is auto or the guest's address A.B.C.D/P (prefix 8..29), not "${staticText}"`);
        guestNetwork = { address, prefix };
      }
      return { action, host, vm: second, ttlSeconds: ttl, guestPorts, ...(guestNetwork === undefined ? {} : { guestNetwork }), detach: flags.has('--detach') || flags.has('--no-renew'), json, acceptNewHostKey };
    }
    case 'list':
      return { action, host, json, acceptNewHostKey };
    case 'renew':
      return { action, host, twin: second, ttlSeconds: ttl, json, acceptNewHostKey };
    case 'destroy':
      return { action, host, twin: second, acceptNewHostKey };
    case 'exec': {
      const timeoutSeconds = seconds('--timeout', 60, 1, 3600);
      if (typeof timeoutSeconds === 'string') return fail(timeoutSeconds);
      if (guestArgv.length === 0) return fail('give the command after --, e.g. -- /bin/ps -o pid,comm');
      if (!(guestArgv[0] ?? '').startsWith('/')) return fail(`the program is an absolute path in the twin (e.g. /bin/ps), not "${guestArgv[0] ?? ''}"`);
      return { action, host, twin: second, argv: guestArgv, timeoutSeconds, acceptNewHostKey };
    }
    case 'forward': {
      const guestPort = Number(third);
      if (!Number.isInteger(guestPort) || guestPort < 1 || guestPort > 65535) return fail(`the guest port is 1..65535, not "${third}"`);
      return { action, host, twin: second, guestPort, acceptNewHostKey };
    }
    case 'tune': {
      const profileId = lastValue(values, '--profile');
      const configPath = lastValue(values, '--config');
      const portText = lastValue(values, '--port');
      const reloadText = lastValue(values, '--reload');
      const parameter = lastValue(values, '--parameter');
      const valuesText = lastValue(values, '--values');
      if (parameter === undefined || parameter.trim() === '') return fail('--parameter names the setting to tune');
      const candidates = (valuesText ?? '').split(',').map((part) => part.trim()).filter((part) => part !== '');
      if (candidates.length < 2 || candidates.length > 8) return fail('--values takes 2 to 8 candidate values separated by commas');
      if (new Set(candidates).size !== candidates.length) return fail('--values must be different from each other');
      if (profileId === undefined && (configPath === undefined || portText === undefined)) return fail('give --profile, or --config and --port for a key = value file');
      if (configPath !== undefined && !configPath.startsWith('/')) return fail('--config is an absolute path in the twin');
      const port = portText === undefined ? undefined : portList(portText);
      if (port === null || (port !== undefined && port.length !== 1)) return fail(`--port is one guest port 1..65535, not "${portText ?? ''}"`);
      const repetitions = count('--repetitions', 5, 5, 100);
      const concurrency = count('--concurrency', 16, 1, 512);
      const warmupSeconds = seconds('--warmup', 2, 0, 600);
      const durationSeconds = seconds('--duration', 5, 1, 600);
      for (const problem of [repetitions, concurrency, warmupSeconds, durationSeconds]) if (typeof problem === 'string') return fail(problem);
      const path = lastValue(values, '--path');
      if (path !== undefined && !path.startsWith('/')) return fail('--path is a URL path starting with /');
      const out = lastValue(values, '--out');
      return {
        action,
        host,
        twin: second,
        tuning: {
          ...(profileId === undefined ? {} : { profileId }),
          ...(configPath === undefined ? {} : { configPath }),
          ...(port === undefined ? {} : { port: port[0] as number }),
          // Split on white space: a reload command is a program and plain words, run without a shell.
          ...(reloadText === undefined ? {} : { reloadArgv: reloadText.trim().split(/\s+/) }),
          parameter: parameter.trim(),
          values: candidates,
          repetitions: repetitions as number,
          load: { mode: 'closed', concurrency: concurrency as number, warmupSeconds: warmupSeconds as number, durationSeconds: durationSeconds as number },
          ...(path === undefined ? {} : { path }),
          ...(out === undefined ? {} : { caseDir: isAbsolute(out) ? out : resolve(out) }),
        },
        json,
        acceptNewHostKey,
      };
    }
    case 'agents': {
      const agentSeconds = seconds('--seconds', 30, 5, 3600);
      if (typeof agentSeconds === 'string') return fail(agentSeconds);
      const intervalSeconds = seconds('--interval', 2, 1, Math.floor(agentSeconds / 2));
      if (typeof intervalSeconds === 'string') return fail(intervalSeconds);
      const picked = (['guest', 'node-exporter'] as const).filter((agent) => flags.has(`--${agent}`));
      const out = lastValue(values, '--out');
      return {
        action,
        host,
        twin: second,
        // Neither flag: both agents, each reporting on its own whether it could run.
        request: { agents: picked.length === 0 ? ['guest', 'node-exporter'] : picked, seconds: agentSeconds, intervalSeconds, ...(out === undefined ? {} : { caseDir: isAbsolute(out) ? out : resolve(out) }) },
        json,
        acceptNewHostKey,
      };
    }
    default:
      return fail(`unknown action "${action ?? ''}"`);
  }
}

const clock = (iso: string): string => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

/** The forwards of a twin as `guest 8080 -> 127.0.0.1:40123` (host ports on the KVM host's loopback). */
function forwardsText(twin: TwinSummary): string {
  return twin.forwards.map((forward) => `${forward.guestPort}->127.0.0.1:${forward.hostPort}${forward.localUrl === null ? '' : ` (${forward.localUrl})`}`).join(', ') || '-';
}

/** A started (or renewed) twin, as lines on stdout. */
export function formatTwin(twin: TwinSummary, now: number): string {
  const left = (Date.parse(twin.expiresAt) - now) / 1000;
  const lines = [
    `Twin       ${twin.twinId}`,
    `VM         ${twin.vmName === null ? twin.vmId : `${twin.vmName} (${twin.vmId})`}`,
    `Expires    ${clock(twin.expiresAt)} (in ${formatDuration(left)}; lease ${formatDuration(twin.ttlSeconds)}, enforced by ${twin.leaseMechanism})`,
    `Forwards   ${twin.forwards.length === 0 ? 'none' : twin.forwards.map((forward) => `guest ${forward.guestAddress}:${forward.guestPort} -> 127.0.0.1:${forward.hostPort} on the host`).join('\n           ')}`,
  ];
  if (twin.strategy !== 'unknown') lines.push(`Cloned     by ${twin.strategy}${twin.sourcePauseMs === null ? '' : `; production paused ${twin.sourcePauseMs.toFixed(0)} ms`}`);
  if (twin.renewError !== undefined) lines.push(`Renew      FAILED: ${twin.renewError.message}`);
  return lines.join('\n') + '\n';
}

/** A host's twins as a table. */
export function formatTwinList(twins: readonly TwinSummary[], now: number): string {
  if (twins.length === 0) return 'No twins on this host.\n';
  const lines = [`${'VM'.padEnd(20)} ${'TWIN'.padEnd(16)} ${'STATE'.padEnd(8)} ${'AGE'.padEnd(8)} ${'LEFT'.padEnd(8)} FORWARDS`];
  for (const twin of twins) {
    const age = (now - Date.parse(twin.createdAt)) / 1000;
    const left = twin.state === 'live' ? formatDuration(twin.secondsLeft) : '-';
    lines.push(`${(twin.vmName ?? twin.vmId).padEnd(20)} ${twin.twinId.padEnd(16)} ${twin.state.padEnd(8)} ${formatDuration(age).padEnd(8)} ${left.padEnd(8)} ${forwardsText(twin)}`);
    if (twin.renewError !== undefined) lines.push(`    renew failed: ${twin.renewError.message}`);
  }
  return lines.join('\n') + '\n';
}

const number = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

/** A tuning or agents outcome as a person reads it: the table, the recommendation, the diff, the capture. */
export function formatOutcome(outcome: ExperimentOutcome): string {
  return `${formatReport(outcome.report)}Capture    ${outcome.bundlePath} (${outcome.verified ? 'verified' : 'NOT verified'})\n`;
}

function formatReport(report: ExperimentReport): string {
  if (report.kind === 'agents') {
    const lines: string[] = [];
    for (const agent of report.agents) {
      lines.push(`${agent.agent} (${agent.title}): ${agent.series.length} series${agent.error === undefined ? '' : `; ${agent.error}`}`);
      for (const series of agent.series) lines.push(`  ${series.name}${series.unit === '' ? '' : ` [${series.unit}]`}: ${series.points.length} points`);
    }
    return lines.join('\n') + '\n';
  }
  const lines = [
    `${report.service}: ${report.parameter} in ${report.configPath} (now ${report.originalValue ?? 'unset'}), ${report.repetitions} rounds, ${report.load.mode} loop, ${report.load.concurrency} in flight`,
    '',
    `${'VALUE'.padEnd(12)} ${'REQ/S (MEDIAN [INTERVAL])'.padEnd(28)} ${'P95 MS'.padEnd(8)} ${'ERRORS'.padEnd(12)} STATUS`,
  ];
  for (const row of report.rows) {
    const throughput = row.throughput === null ? '-' : `${number(row.throughput.median)} [${number(row.throughput.low)}..${number(row.throughput.high)}]`;
    const p95 = row.p95Ms === null ? '-' : number(row.p95Ms.median);
    lines.push(`${row.value.padEnd(12)} ${throughput.padEnd(28)} ${p95.padEnd(8)} ${`${row.errors}/${row.requests}`.padEnd(12)} ${row.status}${row.failure === undefined ? '' : `: ${row.failure}`}`);
  }
  lines.push('');
  lines.push(report.recommended === null ? 'Recommend  nothing: no value ran cleanly.' : `Recommend  ${report.parameter} = ${report.recommended.value} (${report.recommended.confidence}): ${report.recommended.reason}`);
  lines.push(report.diff === '' ? 'Diff       none: the recommended value is the one in the file.' : `Diff       to apply to production by hand:\n${report.diff.trimEnd()}`);
  return lines.join('\n') + '\n';
}

/** An exec result's exit status as a process's: the guest's own, 128 + signal when killed. */
export function execExitStatus(result: TwinExecResult): number {
  if (result.exitCode !== null) return result.exitCode & 0xff;
  return result.signal === null ? 1 : 128 + result.signal;
}

async function resolveHost(services: TwinCliServices, name: string): Promise<string> {
  const hosts = await services.hosts.list();
  const host = hosts.find((candidate) => candidate.id === name) ?? hosts.find((candidate) => candidate.alias === name);
  if (!host) throw new WorkbenchFailure('NOT_FOUND', `No host named "${name}".`, { subject: name, hint: 'See `civic hosts list` for the names and ids.' });
  return host.id;
}

/**
 * `civic twin ...`: twins and the experiments on them, through the same services the app uses.
 * Exit 0 on success, 1 on a failure (code, message and hint printed), 2 on usage.
 */
export async function twinCommand(args: readonly string[], io: CliIo, deps: TwinCommandDeps = defaultTwinCommandDeps()): Promise<number> {
  if (args.length === 0 || args[0] === '--help' || args[0] === 'help') {
    if (args.length === 0) {
      io.err(usage);
      return 2;
    }
    io.out(usage);
    return 0;
  }
  const invocation = parseTwinArgs(args);
  if ('usage' in invocation) {
    io.err(`${invocation.usage}\n\n${usage}`);
    return 2;
  }
  const services = deps.services(io, { acceptNewHostKey: invocation.acceptNewHostKey });
  const watched = new Set<string>();
  let lastStep = '';
  const detach = services.events.forward((name, payload) => {
    if (name === 'hostNotice') io.err(formatHostNotice(payload as HostNoticeEvent));
    if (name !== 'jobProgress') return;
    const { job } = payload as { job: JobSnapshot };
    if (!watched.has(job.jobId) || job.step === lastStep) return;
    lastStep = job.step;
    io.err(progressLine(job));
  });
  try {
    const hostId = await resolveHost(services, invocation.host);
    switch (invocation.action) {
      case 'start':
        return await startTwin(services, deps, io, hostId, invocation, watched);
      case 'list': {
        const twins = await services.twins.list(hostId);
        io.out(invocation.json ? JSON.stringify(twins, null, 2) + '\n' : formatTwinList(twins, deps.now()));
        return 0;
      }
      case 'renew': {
        const twin = await services.twins.renew(hostId, invocation.twin, invocation.ttlSeconds);
        io.out(invocation.json ? JSON.stringify(twin, null, 2) + '\n' : `Renewed ${twin.twinId}: the host ends it at ${clock(twin.expiresAt)} (in ${formatDuration((Date.parse(twin.expiresAt) - deps.now()) / 1000)}) unless renewed again.\n`);
        return 0;
      }
      case 'destroy':
        await services.twins.destroy(hostId, invocation.twin);
        io.out(`Destroyed ${invocation.twin} on ${invocation.host}.\n`);
        return 0;
      case 'exec': {
        const result = await services.twins.exec(hostId, invocation.twin, invocation.argv, invocation.timeoutSeconds);
        // Guest bytes arrive escaped (control characters, bad UTF-8 shown as \x..), so a hostile guest cannot drive this terminal.
        io.out(result.stdout.text);
        io.err(result.stderr.text);
        if (result.stdout.truncated === true || result.stderr.truncated === true) io.err('\ncivic: the guest\'s output was cut at 64 KiB.\n');
        return execExitStatus(result);
      }
      case 'forward': {
        const forward = await services.twins.openForward(hostId, invocation.twin, invocation.guestPort);
        io.err(`Guest ${forward.guestAddress}:${forward.guestPort} of ${invocation.twin} -> 127.0.0.1:${forward.hostPort} on ${invocation.host} -> this machine. Ctrl-C closes the tunnel (the twin stays).\n`);
        io.out(`${forward.localUrl ?? ''}\n`);
        await deps.untilStopped(new AbortController().signal);
        return 0;
      }
      case 'tune': {
        const { profileId, path, ...tuning } = invocation.tuning;
        const profile = profileId === undefined ? undefined : (await services.experiments.profiles()).find((candidate) => candidate.id === profileId);
        if (profileId !== undefined && profile === undefined) {
          const known = (await services.experiments.profiles()).map((candidate) => candidate.id).join(', ');
          throw new WorkbenchFailure('VALIDATION_FAILED', `No service profile "${profileId}".`, { subject: profileId, hint: `Known profiles: ${known}. Or give --config and --port for any key = value file.` });
        }
        const request: TuningRequest = {
          ...tuning,
          ...(profileId === undefined ? {} : { profileId }),
          hostId,
          twinId: invocation.twin,
          configPath: tuning.configPath ?? profile?.configPath ?? '',
          port: tuning.port ?? profile?.port ?? 0,
          load: { ...tuning.load, source: { kind: 'paths', paths: [path ?? profile?.urlPath ?? '/'] } },
        };
        const { jobId } = await services.experiments.startTuning(request);
        return await finishExperiment(services, io, jobId, invocation.json, watched);
      }
      case 'agents': {
        const { jobId } = await services.experiments.startAgentRun({ ...invocation.request, hostId, twinId: invocation.twin });
        return await finishExperiment(services, io, jobId, invocation.json, watched);
      }
    }
  } catch (error) {
    io.err(describeFailure(toWorkbenchError(error)));
    return 1;
  } finally {
    detach();
    // Stops renewing and closes tunnels; a twin is never destroyed by a command ending.
    await services.shutdown();
  }
}

async function startTwin(
  services: TwinCliServices,
  deps: TwinCommandDeps,
  io: CliIo,
  hostId: string,
  invocation: Extract<TwinInvocation, { action: 'start' }>,
  watched: Set<string>,
): Promise<number> {
  // The list the name is resolved with is also what names the twin's VM.
  const vmId = resolveVmKey((await services.hosts.listVms(hostId)).vms, invocation.vm, invocation.host);
  const { jobId } = await services.twins.start({
    hostId,
    vmId,
    ttlSeconds: invocation.ttlSeconds,
    guestPorts: invocation.guestPorts,
    ...(invocation.guestNetwork === undefined ? {} : { guestNetwork: invocation.guestNetwork }),
    autoRenew: !invocation.detach,
  });
  watched.add(jobId);
  const twin = await services.twins.started(jobId);
  watched.delete(jobId);
  io.out(invocation.json ? JSON.stringify(twin, null, 2) + '\n' : formatTwin(twin, deps.now()));
  if (invocation.detach) {
    io.err(`Not renewing: the host ends ${twin.twinId} at ${clock(twin.expiresAt)}. \`civic twin renew ${invocation.host} ${twin.twinId}\` extends it.\n`);
    return 0;
  }
  io.err(`Renewing the lease every ${formatDuration(renewIntervalMs(twin.ttlSeconds) / 1000)} while this runs. Ctrl-C stops renewing; the twin stays until its lease ends.\n`);

  // Renews happen in the twin service; this only reports them, and stops when the host lost the twin.
  const stop = new AbortController();
  let latest = twin;
  let lost = false;
  const unwatch = services.events.forward((name, payload) => {
    if (name !== 'twinsChanged') return;
    const event = payload as TwinsChangedEvent;
    if (event.hostId !== hostId) return;
    const now = event.twins.find((candidate) => candidate.twinId === twin.twinId);
    if (now === undefined || now.state !== 'live') {
      lost = true;
      io.err(`civic: the host no longer has twin ${twin.twinId}${now === undefined ? '' : ` (${now.state})`}.\n`);
      stop.abort();
      return;
    }
    if (now.renewError !== undefined && now.renewError.message !== latest.renewError?.message) io.err(`civic: WARN ${now.renewError.message}\n`);
    else if (now.renewError === undefined && now.expiresAt !== latest.expiresAt) io.err(`civic: renewed ${twin.twinId} until ${clock(now.expiresAt)}\n`);
    latest = now;
  });
  try {
    await deps.untilStopped(stop.signal);
  } finally {
    unwatch();
  }
  if (lost) return 1;
  io.err(`Stopped renewing. The host ends ${twin.twinId} at its expiry time, ${clock(latest.expiresAt)}; \`civic twin destroy ${invocation.host} ${twin.twinId}\` ends it now.\n`);
  return 0;
}

async function finishExperiment(services: TwinCliServices, io: CliIo, jobId: string, json: boolean, watched: Set<string>): Promise<number> {
  watched.add(jobId);
  try {
    const outcome = await services.experiments.finished(jobId);
    io.out(json ? JSON.stringify(outcome, null, 2) + '\n' : formatOutcome(outcome));
    return 0;
  } catch (error) {
    // An experiment that stopped early still wrote what it measured: show that, then why it stopped.
    const partial = await services.experiments.outcome(jobId);
    if (partial !== null) io.out(json ? JSON.stringify(partial, null, 2) + '\n' : formatOutcome(partial));
    io.err(describeFailure(partial?.error ?? toWorkbenchError(error)));
    return 1;
  }
}
