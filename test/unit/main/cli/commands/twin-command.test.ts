import { describe, expect, it, vi } from 'vitest';
import type { ExperimentOutcome, HostEntry, HostVmList, TuningRequest, TwinRequest, TwinSummary, WorkbenchEvents } from '../../../../../preload/api';
import type { CliIo } from '../../../../../main/cli/commands/cli-io';
import { formatDuration, formatTwinList, parseDuration, parseTwinArgs, twinCommand, type TwinCliServices, type TwinCommandDeps } from '../../../../../main/cli/commands/twin-command';
import { WorkbenchFailure } from '../../../../../main/errors';
import type { EventForwarder } from '../../../../../main/events/event-bus';

const NOW = Date.parse('2026-05-01T10:00:00Z');

function capture(): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (text) => out.push(text), err: (text) => err.push(text) }, out, err };
}

const twin: TwinSummary = {
  hostId: 'app:lab',
  twinId: 'cw-0123456789ab',
  vmId: 'libvirt:web',
  vmName: 'web',
  state: 'live',
  createdAt: '2026-05-01T09:55:00.000Z',
  expiresAt: '2026-05-01T10:30:00.000Z',
  ttlSeconds: 1800,
  secondsLeft: 1800,
  autoRenew: true,
  forwards: [{ guestPort: 8080, guestAddress: '10.0.2.15', hostPort: 40123, localUrl: null }],
  leaseMechanism: 'keeper',
  strategy: 'precopy',
  sourcePauseMs: 42,
};

const vmList = { hostId: 'app:lab', vms: [{ id: 'libvirt:web', kind: 'libvirt', name: 'web' }] } as unknown as HostVmList;

const tuningOutcome: ExperimentOutcome = {
  jobId: 'job-t',
  bundlePath: '/cases/tune.civic',
  verified: true,
  report: {
    kind: 'tuning',
    service: 'civic-web',
    configPath: '/etc/civic-web.conf',
    parameter: 'workers',
    originalValue: '2',
    repetitions: 5,
    load: { mode: 'closed', concurrency: 16, warmupSeconds: 2, durationSeconds: 5, source: { kind: 'paths', paths: ['/'] } },
    rows: [
      { value: '1', status: 'ok', throughput: { median: 98.2, low: 95.1, high: 101.3 }, p95Ms: { median: 160, low: 150, high: 170 }, p99Ms: null, errors: 0, requests: 2400, runs: [] },
      { value: '4', status: 'ok', throughput: { median: 391.5, low: 380, high: 402 }, p95Ms: { median: 41.2, low: 40, high: 44 }, p99Ms: null, errors: 1, requests: 9800, runs: [] },
      { value: 'x', status: 'failed', throughput: null, p95Ms: null, p99Ms: null, errors: 0, requests: 0, runs: [], failure: 'The service refused workers = x: bad value' },
    ],
    recommended: { value: '4', confidence: 'clear', reason: '4 served the most in every round.' },
    diff: '--- a/etc/civic-web.conf\n+++ b/etc/civic-web.conf\n@@ -1 +1 @@\n-workers = 2\n+workers = 4\n',
    production: null,
  },
};

/** Fake services: each method answers as the real one would for a lab host with one twin. */
function fakeServices(overrides: { twins?: Partial<TwinCliServices['twins']>; experiments?: Partial<TwinCliServices['experiments']> } = {}) {
  const forwarders = new Set<EventForwarder>();
  const emit = <K extends keyof WorkbenchEvents>(name: K, payload: WorkbenchEvents[K]): void => {
    for (const forwarder of forwarders) forwarder(name, payload);
  };
  const services = {
    hosts: {
      list: vi.fn(async () => [{ id: 'app:lab', alias: 'lab' } as HostEntry]),
      listVms: vi.fn(async () => vmList),
    },
    twins: {
      start: vi.fn(async (_request: TwinRequest) => ({ jobId: 'job-1' })),
      started: vi.fn(async () => twin),
      list: vi.fn(async () => [twin]),
      renew: vi.fn(async () => twin),
      destroy: vi.fn(async () => null),
      openForward: vi.fn(async () => ({ ...twin.forwards[0], guestPort: 8080, guestAddress: '10.0.2.15', hostPort: 40123, localUrl: 'http://127.0.0.1:51234/' })),
      exec: vi.fn(async () => ({ argv: ['/bin/ps'], exitCode: 3, signal: null, stdout: { text: '  1 init\\x1b\n' }, stderr: { text: 'warning\n' } })),
      ...overrides.twins,
    },
    experiments: {
      profiles: vi.fn(async () => [{ id: 'civic-web', title: 'civic-web', configPath: '/etc/civic-web.conf', parameters: [], port: 8080, urlPath: '/' }]),
      startTuning: vi.fn(async (_request: TuningRequest) => ({ jobId: 'job-t' })),
      startAgentRun: vi.fn(async () => ({ jobId: 'job-a' })),
      finished: vi.fn(async () => tuningOutcome),
      outcome: vi.fn(async () => null),
      ...overrides.experiments,
    },
    events: {
      forward(forwarder: EventForwarder) {
        forwarders.add(forwarder);
        return () => forwarders.delete(forwarder);
      },
    },
    shutdown: vi.fn(async () => undefined),
  } satisfies TwinCliServices;
  return { services, emit };
}

function deps(services: TwinCliServices, untilStopped: TwinCommandDeps['untilStopped'] = async () => undefined): TwinCommandDeps {
  return { services: () => services, untilStopped, now: () => NOW };
}

describe('civic twin arguments', () => {
  it.each([
    [[], /usage: civic twin/],
    [['reboot', 'lab'], /unknown action "reboot"/],
    [['start', 'lab'], /takes <host> <vm>/],
    [['start', 'lab', 'web', '--ttl', '10s'], /--ttl is 1m to 24h, not 10s/],
    [['start', 'lab', 'web', '--ttl', 'soon'], /--ttl takes a duration/],
    [['start', 'lab', 'web', '--forward', '8080,0'], /--forward takes guest ports/],
    [['start', 'lab', 'web', '--static', '192.168.77/24'], /--static is auto or the guest's address/],
    [['start', 'lab', 'web', '--static', '192.168.77.10/31'], /prefix 8..29/],
    [['list', 'lab', '--ttl', '5m'], /--ttl does not go with list/],
    [['exec', 'lab', 'cw-1'], /give the command after --/],
    [['exec', 'lab', 'cw-1', '--', 'ps'], /absolute path in the twin/],
    [['destroy', 'lab', 'cw-1', '--', '/bin/true'], /only exec takes a command after --/],
    [['forward', 'lab', 'cw-1', 'http'], /the guest port is 1..65535/],
    [['tune', 'lab', 'cw-1', '--profile', 'civic-web', '--parameter', 'workers', '--values', '4'], /2 to 8 candidate values/],
    [['tune', 'lab', 'cw-1', '--parameter', 'workers', '--values', '1,2'], /give --profile, or --config and --port/],
    [['tune', 'lab', 'cw-1', '--profile', 'civic-web', '--parameter', 'workers', '--values', '1,2', '--repetitions', '3'], /--repetitions is a whole number from 5 to 100/],
    [['agents', 'lab', 'cw-1', '--seconds', '30', '--interval', '20'], /--interval is 1s to 15s/],
    [['list', 'lab', '--bogus'], /unknown option --bogus/],
  ])('refuses %j with exit 2 before building any service', async (args, message) => {
    const { io, out, err } = capture();
    const services = vi.fn();
    expect(await twinCommand(args, io, { services, untilStopped: async () => undefined, now: () => NOW })).toBe(2);
    expect(err.join('')).toMatch(message);
    expect(out).toEqual([]);
    expect(services).not.toHaveBeenCalled();
  });

  it('reads durations as 90s, 30m, 2h or seconds', () => {
    expect([parseDuration('90s'), parseDuration('30m'), parseDuration('2h'), parseDuration('45'), parseDuration('1.5h'), parseDuration('-5')]).toEqual([90, 1800, 7200, 45, null, null]);
    expect([formatDuration(45), formatDuration(1798), formatDuration(1800), formatDuration(7500)]).toEqual(['45s', '29m 58s', '30m', '2h 5m']);
  });

  it('reads a start, an exec command line and a tuning run', () => {
    expect(parseTwinArgs(['start', 'lab', 'web', '--ttl', '2h', '--forward', '8080,80', '--static', '192.168.77.10/24', '--detach'])).toEqual({
      action: 'start', host: 'lab', vm: 'web', ttlSeconds: 7200, guestPorts: [8080, 80], guestNetwork: { address: '192.168.77.10', prefix: 24 }, detach: true, json: false, acceptNewHostKey: false,
    });
    expect(parseTwinArgs(['start', 'lab', 'web', '--no-renew', '--static', 'auto'])).toMatchObject({ ttlSeconds: 1800, guestNetwork: 'auto', detach: true });
    // Options after -- belong to the guest command.
    expect(parseTwinArgs(['exec', 'lab', 'cw-1', '--', '/bin/ps', '-o', 'pid,comm', '--json'])).toMatchObject({ argv: ['/bin/ps', '-o', 'pid,comm', '--json'], timeoutSeconds: 60 });
    expect(parseTwinArgs(['tune', 'lab', 'cw-1', '--profile', 'civic-web', '--parameter', 'workers', '--values', '1,2,4', '--warmup', '3', '--duration', '1m'])).toMatchObject({
      tuning: { profileId: 'civic-web', parameter: 'workers', values: ['1', '2', '4'], repetitions: 5, load: { mode: 'closed', concurrency: 16, warmupSeconds: 3, durationSeconds: 60 } },
    });
    expect(parseTwinArgs(['agents', 'lab', 'cw-1', '--node-exporter'])).toMatchObject({ request: { agents: ['node-exporter'], seconds: 30, intervalSeconds: 2 } });
    expect(parseTwinArgs(['agents', 'lab', 'cw-1'])).toMatchObject({ request: { agents: ['guest', 'node-exporter'] } });
  });
});

describe('civic twin with the services', () => {
  it('starts a detached twin: prints it and exits at once, without renewing', async () => {
    const { services } = fakeServices();
    const { io, out, err } = capture();
    expect(await twinCommand(['start', 'lab', 'web', '--forward', '8080', '--detach'], io, deps(services))).toBe(0);
    expect(services.twins.start).toHaveBeenCalledWith({ hostId: 'app:lab', vmId: 'libvirt:web', ttlSeconds: 1800, guestPorts: [8080], autoRenew: false });
    const text = out.join('');
    expect(text).toContain('Twin       cw-0123456789ab');
    expect(text).toContain('VM         web (libvirt:web)');
    expect(text).toContain('Expires    2026-05-01 10:30:00Z (in 30m;');
    expect(text).toContain('guest 10.0.2.15:8080 -> 127.0.0.1:40123 on the host');
    expect(err.join('')).toContain('Not renewing: the host ends cw-0123456789ab at 2026-05-01 10:30:00Z');
    expect(services.shutdown).toHaveBeenCalled();
  });

  it('stays in the foreground renewing until stopped, then leaves the twin to its lease', async () => {
    const { services, emit } = fakeServices();
    const { io, err } = capture();
    const untilStopped = async (): Promise<void> => {
      // One renew happens while waiting; then Ctrl-C.
      emit('twinsChanged', { hostId: 'app:lab', twins: [{ ...twin, expiresAt: '2026-05-01T10:40:00.000Z' }] });
    };
    expect(await twinCommand(['start', 'lab', 'web'], io, deps(services, untilStopped))).toBe(0);
    expect(services.twins.start).toHaveBeenCalledWith(expect.objectContaining({ autoRenew: true }));
    const text = err.join('');
    expect(text).toContain('Renewing the lease every 10m while this runs.');
    expect(text).toContain('civic: renewed cw-0123456789ab until 2026-05-01 10:40:00Z');
    expect(text).toContain('Stopped renewing. The host ends cw-0123456789ab at its expiry time, 2026-05-01 10:40:00Z');
    expect(services.twins.destroy).not.toHaveBeenCalled();
  });

  it('stops waiting with exit 1 when the host no longer has the twin, and warns of a failed renew first', async () => {
    const { services, emit } = fakeServices();
    const { io, err } = capture();
    const untilStopped = (signal: AbortSignal): Promise<void> =>
      new Promise((resolve) => {
        signal.addEventListener('abort', () => resolve());
        emit('twinsChanged', { hostId: 'app:lab', twins: [{ ...twin, renewError: { code: 'TWIN_LEASE_LOST', message: 'Could not renew the lease of twin cw-0123456789ab.', hint: 'h' } }] });
        emit('twinsChanged', { hostId: 'app:lab', twins: [{ ...twin, state: 'gone' }] });
      });
    expect(await twinCommand(['start', 'lab', 'web'], io, deps(services, untilStopped))).toBe(1);
    expect(err.join('')).toContain('civic: WARN Could not renew the lease of twin cw-0123456789ab.');
    expect(err.join('')).toContain('the host no longer has twin cw-0123456789ab (gone)');
  });

  it('lists twins as a table', () => {
    const lines = formatTwinList([twin, { ...twin, twinId: 'cw-ffffffffffff', vmName: null, state: 'expired', forwards: [] }], NOW).split('\n');
    expect(lines[0]).toMatch(/^VM\s+TWIN\s+STATE\s+AGE\s+LEFT\s+FORWARDS$/);
    expect(lines[1]).toMatch(/^web\s+cw-0123456789ab\s+live\s+5m\s+30m\s+8080->127\.0\.0\.1:40123$/);
    expect(lines[2]).toMatch(/^libvirt:web\s+cw-ffffffffffff\s+expired\s+5m\s+-\s+-$/);
  });

  it('runs a guest command: its output as escaped text and its exit status as ours', async () => {
    const { services } = fakeServices();
    const { io, out, err } = capture();
    expect(await twinCommand(['exec', 'lab', 'cw-0123456789ab', '--', '/bin/ps', '-o', 'pid,comm'], io, deps(services))).toBe(3);
    expect(services.twins.exec).toHaveBeenCalledWith('app:lab', 'cw-0123456789ab', ['/bin/ps', '-o', 'pid,comm'], 60);
    expect(out.join('')).toBe('  1 init\\x1b\n');
    expect(err.join('')).toBe('warning\n');
  });

  it('prints the local URL of a forward and keeps the tunnel until stopped', async () => {
    const { services } = fakeServices();
    const { io, out } = capture();
    const untilStopped = vi.fn(async () => undefined);
    expect(await twinCommand(['forward', 'lab', 'cw-0123456789ab', '8080'], io, deps(services, untilStopped))).toBe(0);
    expect(out.join('')).toBe('http://127.0.0.1:51234/\n');
    expect(untilStopped).toHaveBeenCalled();
  });

  it('tunes with the profile\'s file, port and path, and prints the table, the recommendation, the diff and the capture', async () => {
    const { services } = fakeServices();
    const { io, out } = capture();
    expect(await twinCommand(['tune', 'lab', 'cw-0123456789ab', '--profile', 'civic-web', '--parameter', 'workers', '--values', '1,4,x'], io, deps(services))).toBe(0);
    expect(services.experiments.startTuning).toHaveBeenCalledWith({
      hostId: 'app:lab', twinId: 'cw-0123456789ab', profileId: 'civic-web', configPath: '/etc/civic-web.conf', port: 8080, parameter: 'workers', values: ['1', '4', 'x'], repetitions: 5,
      load: { mode: 'closed', concurrency: 16, warmupSeconds: 2, durationSeconds: 5, source: { kind: 'paths', paths: ['/'] } },
    });
    const lines = out.join('').split('\n');
    expect(lines.find((line) => line.startsWith('4 '))).toMatch(/^4\s+392 \[380\.\.402\]\s+41\.2\s+1\/9800\s+ok$/);
    expect(lines.find((line) => line.startsWith('x '))).toMatch(/failed: The service refused workers = x: bad value$/);
    expect(out.join('')).toContain('Recommend  workers = 4 (clear): 4 served the most in every round.');
    expect(out.join('')).toContain('-workers = 2\n+workers = 4\n');
    expect(out.join('')).toContain('Capture    /cases/tune.civic (verified)');
  });

  it('prints what an experiment measured before it stopped, then why, with exit 1', async () => {
    const error = { code: 'TWIN_UNRESPONSIVE' as const, message: 'The twin stopped answering during the tuning run.', hint: 'Destroy it.' };
    const { services } = fakeServices({
      experiments: {
        finished: vi.fn(async () => {
          throw new WorkbenchFailure('TWIN_UNRESPONSIVE', 'The twin stopped answering. What was measured is in /cases/tune.civic.');
        }),
        outcome: vi.fn(async () => ({ ...tuningOutcome, error })),
      },
    });
    const { io, out, err } = capture();
    expect(await twinCommand(['tune', 'lab', 'cw-0123456789ab', '--profile', 'civic-web', '--parameter', 'workers', '--values', '1,4'], io, deps(services))).toBe(1);
    expect(out.join('')).toContain('Capture    /cases/tune.civic');
    expect(err.join('')).toBe('Error      TWIN_UNRESPONSIVE: The twin stopped answering during the tuning run.\nHint       Destroy it.\n');
  });

  it('prints each agent\'s series and point counts', async () => {
    const { services } = fakeServices({
      experiments: {
        finished: vi.fn(async () => ({
          jobId: 'job-a', bundlePath: '/cases/agents.civic', verified: true,
          report: { kind: 'agents' as const, agents: [
            { agent: 'node-exporter', title: 'node_exporter', series: [{ name: 'cpu busy', unit: '%', points: [[1, 2], [2, 3]] as [number, number][] }] },
            { agent: 'guest', title: 'sysstat', series: [], error: 'The guest has no sadc.' },
          ] },
        })),
      },
    });
    const { io, out } = capture();
    expect(await twinCommand(['agents', 'lab', 'cw-0123456789ab', '--seconds', '1m', '--interval', '5s'], io, deps(services))).toBe(0);
    expect(services.experiments.startAgentRun).toHaveBeenCalledWith({ hostId: 'app:lab', twinId: 'cw-0123456789ab', agents: ['guest', 'node-exporter'], seconds: 60, intervalSeconds: 5 });
    expect(out.join('')).toBe('node-exporter (node_exporter): 1 series\n  cpu busy [%]: 2 points\nguest (sysstat): 0 series; The guest has no sadc.\nCapture    /cases/agents.civic (verified)\n');
  });

  it('prints a failure\'s code, message and hint with exit 1', async () => {
    const { services } = fakeServices({
      twins: {
        destroy: vi.fn(async () => {
          throw new WorkbenchFailure('TWIN_NOT_FOUND', 'Twin cw-1 is not running on lab.', { subject: 'cw-1' });
        }),
      },
    });
    const { io, err } = capture();
    expect(await twinCommand(['destroy', 'lab', 'cw-1'], io, deps(services))).toBe(1);
    expect(err.join('')).toMatch(/^Error {6}TWIN_NOT_FOUND \(cw-1\): Twin cw-1 is not running on lab\.\nHint {7}The host no longer lists this twin/);
    expect(services.shutdown).toHaveBeenCalled();
  });

  it('names the host it cannot find', async () => {
    const { services } = fakeServices();
    const { io, err } = capture();
    expect(await twinCommand(['list', 'prod'], io, deps(services))).toBe(1);
    expect(err.join('')).toContain('No host named "prod".');
  });
});
