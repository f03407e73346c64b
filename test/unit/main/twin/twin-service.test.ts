import { createServer, connect, type Server, type Socket } from 'node:net';
import type { ClientChannel } from 'ssh2';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TwinsChangedEvent } from '../../../../preload/api';
import { WorkbenchFailure } from '../../../../main/errors';
import type { HelperRun } from '../../../../main/helper-client/helper-access';
import type { HelperVerb } from '../../../../main/helper-client/helper-job';
import { createJobRunner } from '../../../../main/jobs/job-runner';
import type { SshConnection } from '../../../../main/ssh/ssh-connect';
import { createTwinService, renewIntervalMs, type TwinService } from '../../../../main/twin/twin-service';

const HOST = 'app:lab';

interface FakeForward {
  protocol: 'tcp';
  hostAddress: string;
  hostPort: number;
  guestAddress: string;
  guestPort: number;
}

interface FakeTwin {
  cloneId: string;
  vm: string;
  createdAt: number;
  ttlSeconds: number;
  expiresAt: number;
  forwards: FakeForward[];
  guestAddress: string;
}

interface Call {
  readonly verb: HelperVerb;
  readonly args: Readonly<Record<string, unknown>>;
}

/**
 * The helper as docs/helper-protocol.md describes its twin verbs: `clone` with `leaseSeconds`, `renew`,
 * `forward`, `gc`, `exec`, `destroy`. `failNext` makes a verb's next call fail as the real one does.
 */
function fakeHelper() {
  const twins = new Map<string, FakeTwin>();
  const calls: Call[] = [];
  const failures = new Map<HelperVerb, WorkbenchFailure>();
  let nextId = 1;
  let nextPort = 40_000;
  // What `exec` prints for a guest command line (argv joined by spaces); default: nothing, exit 0.
  let execAnswer: (argv: readonly string[]) => { stdout: Buffer; stderr?: Buffer; exitCode?: number } = () => ({ stdout: Buffer.alloc(0) });
  const seconds = (): number => Date.now() / 1000;
  const lease = (twin: FakeTwin) => ({
    expiresAt: twin.expiresAt,
    ttlSeconds: twin.ttlSeconds,
    secondsLeft: Math.max(0, Math.round(twin.expiresAt - seconds())),
    expired: twin.expiresAt <= seconds(),
    keeperPid: 4242,
    keeperAlive: true,
    systemd: null,
  });
  const find = (args: Readonly<Record<string, unknown>>): FakeTwin => {
    const twin = twins.get(String(args['cloneId']));
    if (twin === undefined) throw new WorkbenchFailure('NOT_FOUND', `No clone ${String(args['cloneId'])}.`);
    return twin;
  };
  const addTwin = (vm: string, ttlSeconds: number, guestPorts: readonly number[], guestAddress = '10.0.2.15'): FakeTwin => {
    const cloneId = `cw-${String(nextId++).padStart(12, '0')}`;
    const twin: FakeTwin = {
      cloneId,
      vm,
      createdAt: seconds(),
      ttlSeconds,
      expiresAt: seconds() + ttlSeconds,
      forwards: guestPorts.map((guestPort) => ({ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: nextPort++, guestAddress, guestPort })),
      guestAddress,
    };
    twins.set(cloneId, twin);
    return twin;
  };

  const answer = (verb: HelperVerb, args: Readonly<Record<string, unknown>>): unknown => {
    switch (verb) {
      case 'clone': {
        const network = args['guestNetwork'] as { address: string; prefix: number } | undefined;
        const ports = (args['hostForwards'] as { guestPort: number }[]).map((forward) => forward.guestPort);
        const twin = addTwin(String(args['vm']), Number(args['leaseSeconds']), ports, network?.address ?? '10.0.2.15');
        return { cloneId: twin.cloneId, strategy: 'precopy', sourcePauseMs: 12.5, forwards: twin.forwards, guestNetwork: network ?? null, lease: lease(twin), sessionDir: `/var/lib/civic/${twin.cloneId}` };
      }
      case 'renew': {
        const twin = find(args);
        twin.ttlSeconds = Number(args['leaseSeconds']);
        twin.expiresAt = seconds() + twin.ttlSeconds;
        return { cloneId: twin.cloneId, lease: lease(twin), keeperRestarted: false };
      }
      case 'forward': {
        const twin = find(args);
        const forward: FakeForward = { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: nextPort++, guestAddress: twin.guestAddress, guestPort: Number(args['guestPort']) };
        twin.forwards.push(forward);
        return { cloneId: twin.cloneId, forward, forwards: twin.forwards };
      }
      case 'gc':
        return {
          sessions: [...twins.values()].map((twin) => ({ cloneId: twin.cloneId, state: 'ready', helperActive: false, clonePid: 100, cloneAlive: true, vm: { id: twin.vm, target: twin.vm }, createdAt: twin.createdAt, twin: true, lease: lease(twin), forwards: twin.forwards })),
          orphanProcesses: [],
        };
      case 'exec': {
        const twin = find(args);
        const argv = [String(args['path']), ...((args['args'] as string[] | undefined) ?? [])];
        const shown = execAnswer(argv);
        return { cloneId: twin.cloneId, argv, pid: 77, exitCode: shown.exitCode ?? 0, signal: null, stdoutBase64: shown.stdout.toString('base64'), stderrBase64: (shown.stderr ?? Buffer.alloc(0)).toString('base64'), stdoutTruncated: false, stderrTruncated: false };
      }
      case 'destroy': {
        const twin = find(args);
        twins.delete(twin.cloneId);
        return { cloneId: twin.cloneId, reason: 'destroy', actions: ['clone-stopped'], removed: true };
      }
      default:
        throw new WorkbenchFailure('VALIDATION_FAILED', `The fake helper has no verb ${verb}.`);
    }
  };

  return {
    twins,
    calls,
    addTwin,
    callsOf: (verb: HelperVerb) => calls.filter((call) => call.verb === verb),
    failNext(verb: HelperVerb, failure: WorkbenchFailure) {
      failures.set(verb, failure);
    },
    onExec(handler: typeof execAnswer) {
      execAnswer = handler;
    },
    helper: {
      async run(hostId: string, verb: HelperVerb, args: Readonly<Record<string, unknown>>): Promise<HelperRun> {
        expect(hostId).toBe(HOST);
        calls.push({ verb, args });
        const failure = failures.get(verb);
        if (failure !== undefined) {
          failures.delete(verb);
          throw failure;
        }
        return { payload: answer(verb, args), argv: ['civic-helper', verb] };
      },
    },
  };
}

type FakeHelper = ReturnType<typeof fakeHelper>;

function service(helper: FakeHelper, connection: () => Promise<SshConnection> = () => Promise.reject(new Error('no SSH in this test'))) {
  const events: TwinsChangedEvent[] = [];
  const waiters: ((event: TwinsChangedEvent) => void)[] = [];
  const twins: TwinService = createTwinService({
    jobs: createJobRunner(() => undefined),
    helper: helper.helper,
    connection: () => connection(),
    hostAlias: async () => 'lab',
    listedVm: (_hostId, vmId) => (vmId === 'libvirt:web' ? { name: 'web', uuid: 'u-1' } : null),
    emit: (event) => {
      events.push(event);
      waiters.shift()?.(event);
    },
  });
  /** The next twinsChanged event: the renew timer's work is async, and it ends by emitting one. */
  const nextEvent = (): Promise<TwinsChangedEvent> => new Promise((resolve) => waiters.push(resolve));
  return { twins, events, nextEvent };
}

async function startTwin(twins: TwinService, overrides: Partial<Parameters<TwinService['start']>[0]> = {}) {
  const { jobId } = await twins.start({ hostId: HOST, vmId: 'libvirt:web', ttlSeconds: 600, guestPorts: [8080], ...overrides });
  return twins.started(jobId);
}

describe('twin service: leases', () => {
  beforeEach(() => {
    // Only the renew timer and the clock: the job runner's promises run as they do for real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts a twin, says so, and renews on a timer with the twin\'s TTL', async () => {
    const helper = fakeHelper();
    const { twins, events, nextEvent } = service(helper);
    const twin = await startTwin(twins);
    expect(twin).toMatchObject({ vmId: 'libvirt:web', vmName: 'web', state: 'live', ttlSeconds: 600, autoRenew: true, secondsLeft: 600, strategy: 'precopy', leaseMechanism: 'keeper' });
    expect(twin.forwards).toEqual([{ guestPort: 8080, guestAddress: '10.0.2.15', hostPort: 40_000, localUrl: null }]);
    expect(helper.callsOf('clone')[0]?.args).toEqual({ vm: 'libvirt:web', leaseSeconds: 600, hostForwards: [{ hostPort: 0, guestPort: 8080 }] });
    expect(events.at(-1)?.twins.map((listed) => listed.twinId)).toEqual([twin.twinId]);

    for (let round = 1; round <= 2; round++) {
      const renewed = nextEvent();
      await vi.advanceTimersByTimeAsync(renewIntervalMs(600));
      const event = await renewed;
      expect(helper.callsOf('renew')).toHaveLength(round);
      expect(helper.callsOf('renew').at(-1)?.args).toEqual({ cloneId: twin.twinId, leaseSeconds: 600 });
      expect(event.twins[0]).toMatchObject({ state: 'live', secondsLeft: 600 });
      expect(event.twins[0]?.renewError).toBeUndefined();
    }
    await twins.close();
  });

  it('keeps a twin listed with TWIN_LEASE_LOST when a renew fails, and clears it at the next good renew', async () => {
    const helper = fakeHelper();
    const { twins, nextEvent } = service(helper);
    const twin = await startTwin(twins);
    helper.failNext('renew', new WorkbenchFailure('CONNECTION_LOST', 'The connection to lab was lost.'));
    let event = nextEvent();
    await vi.advanceTimersByTimeAsync(renewIntervalMs(600));
    const failed = (await event).twins.find((listed) => listed.twinId === twin.twinId);
    expect(failed?.state).toBe('live');
    expect(failed?.renewError?.code).toBe('TWIN_LEASE_LOST');
    expect(failed?.renewError?.message).toContain('The connection to lab was lost.');

    event = nextEvent();
    await vi.advanceTimersByTimeAsync(renewIntervalMs(600));
    expect((await event).twins[0]?.renewError).toBeUndefined();
    await twins.close();
  });

  it('marks a twin gone when the host answers a renew with NOT_FOUND, and stops renewing it', async () => {
    const helper = fakeHelper();
    const { twins, nextEvent } = service(helper);
    const twin = await startTwin(twins);
    helper.twins.delete(twin.twinId);
    const event = nextEvent();
    await vi.advanceTimersByTimeAsync(renewIntervalMs(600));
    expect((await event).twins.find((listed) => listed.twinId === twin.twinId)).toMatchObject({ state: 'gone', autoRenew: false });
    await vi.advanceTimersByTimeAsync(renewIntervalMs(600) * 3);
    expect(helper.callsOf('renew')).toHaveLength(1);
    await twins.close();
  });

  it('adopts twins an earlier run started without renewing them, and drops the ones the host no longer lists', async () => {
    const helper = fakeHelper();
    const earlier = helper.addTwin('libvirt:web', 900, [80]);
    const { twins } = service(helper);
    const listed = await twins.list(HOST);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ twinId: earlier.cloneId, vmName: 'web', state: 'live', autoRenew: false, ttlSeconds: 900 });
    await vi.advanceTimersByTimeAsync(renewIntervalMs(900) * 3);
    expect(helper.callsOf('renew')).toEqual([]);

    helper.twins.delete(earlier.cloneId);
    // Shown once as gone, so the list says what happened; then no longer there.
    expect((await twins.list(HOST)).map((twin) => twin.state)).toEqual(['gone']);
    expect(await twins.list(HOST)).toEqual([]);
  });

  it('stops the renew timer when a twin is destroyed', async () => {
    const helper = fakeHelper();
    const { twins, events } = service(helper);
    const twin = await startTwin(twins);
    await twins.destroy(HOST, twin.twinId);
    expect(helper.callsOf('destroy')[0]?.args).toEqual({ cloneId: twin.twinId });
    expect(events.at(-1)?.twins).toEqual([]);
    await vi.advanceTimersByTimeAsync(renewIntervalMs(600) * 3);
    expect(helper.callsOf('renew')).toEqual([]);
  });

  it('renews on demand with a new TTL and keeps renewing at the new one', async () => {
    const helper = fakeHelper();
    const { twins, nextEvent } = service(helper);
    const twin = await startTwin(twins);
    const renewed = await twins.renew(HOST, twin.twinId, 3600);
    expect(renewed).toMatchObject({ ttlSeconds: 3600, secondsLeft: 3600 });
    const event = nextEvent();
    await vi.advanceTimersByTimeAsync(renewIntervalMs(3600));
    await event;
    expect(helper.callsOf('renew').map((call) => call.args['leaseSeconds'])).toEqual([3600, 3600]);
    await twins.close();
  });
});

describe('twin service: in the twin', () => {
  it('decodes exec output into escaped guest text', async () => {
    const helper = fakeHelper();
    const { twins } = service(helper);
    const twin = await startTwin(twins, { autoRenew: false });
    helper.onExec(() => ({ stdout: Buffer.from('PID COMMAND\n  1 init\x1b[31m\n'), stderr: Buffer.from([0x62, 0x61, 0x64, 0xff]), exitCode: 3 }));
    const result = await twins.exec(HOST, twin.twinId, ['/bin/ps', '-o', 'pid,comm']);
    expect(helper.callsOf('exec')[0]?.args).toEqual({ cloneId: twin.twinId, path: '/bin/ps', args: ['-o', 'pid,comm'], timeoutSeconds: 60 });
    expect(result.argv).toEqual(['/bin/ps', '-o', 'pid,comm']);
    expect(result.exitCode).toBe(3);
    expect(result.stdout.text).toBe('PID COMMAND\n  1 init\\x1b[31m\n');
    expect(result.stderr.text).toBe('bad\\xff');
    await expect(twins.exec(HOST, twin.twinId, ['ps'])).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it.each([
    ['a guest on its own subnet is cloned again on it', '2: eth0    inet 192.168.77.10/24 brd 192.168.77.255 scope global eth0\\       valid_lft forever preferred_lft forever\n', { address: '192.168.77.10', prefix: 24 }],
    ['a DHCP guest on slirp\'s network is kept as it is', '2: eth0    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic eth0\n', null],
  ])('guestNetwork auto: %s', async (_name, ipOutput, expected) => {
    const helper = fakeHelper();
    const { twins } = service(helper);
    helper.onExec((argv) => ({ stdout: Buffer.from(argv.join(' ').includes('ip -4 -o addr') ? ipOutput : '') }));
    const twin = await startTwin(twins, { guestNetwork: 'auto', autoRenew: false });
    const clones = helper.callsOf('clone');
    if (expected === null) {
      expect(clones).toHaveLength(1);
      expect(clones[0]?.args['guestNetwork']).toBeUndefined();
      expect(helper.callsOf('destroy')).toEqual([]);
      expect(twin.forwards[0]?.guestAddress).toBe('10.0.2.15');
    } else {
      expect(clones).toHaveLength(2);
      expect(clones[1]?.args['guestNetwork']).toEqual(expected);
      // The first clone, on the wrong network, is destroyed; the twin is the second.
      const first = helper.callsOf('destroy')[0]?.args['cloneId'];
      expect(first).toBeDefined();
      expect(first).not.toBe(twin.twinId);
      expect([...helper.twins.keys()]).toEqual([twin.twinId]);
      expect(twin.forwards[0]?.guestAddress).toBe('192.168.77.10');
    }
  });
});

describe('twin service: a start that fails after the clone', () => {
  it('destroys the clone it made rather than leaving it unseen until its lease ends', async () => {
    const helper = fakeHelper();
    const { twins } = service(helper);
    helper.failNext('exec', new WorkbenchFailure('NOT_FOUND', 'The clone has no guest agent channel.'));
    const { jobId } = await twins.start({ hostId: HOST, vmId: 'libvirt:web', ttlSeconds: 600, guestPorts: [], guestNetwork: 'auto' });
    await expect(twins.started(jobId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(helper.callsOf('destroy')).toHaveLength(1);
    expect(helper.twins.size).toBe(0);
    expect(await twins.list(HOST)).toEqual([]);
  });
});

describe('twin service: forwards', () => {
  let echo: Server;
  let echoPort = 0;
  beforeEach(async () => {
    echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const address = echo.address();
    echoPort = typeof address === 'object' && address !== null ? address.port : 0;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  });

  it('adds a forward with the forward verb when the twin has none for the port, and tunnels it here', async () => {
    const helper = fakeHelper();
    const forwardedTo: number[] = [];
    // The SSH connection's direct-tcpip channel, played by a TCP connection to a local echo server.
    const connection = {
      client: {
        forwardOut(_srcIp: string, _srcPort: number, _dstIp: string, dstPort: number, callback: (error: Error | undefined, channel: ClientChannel) => void) {
          forwardedTo.push(dstPort);
          const socket: Socket = connect(echoPort, '127.0.0.1', () => callback(undefined, Object.assign(socket, { close: () => socket.destroy() }) as unknown as ClientChannel));
        },
      },
    } as unknown as SshConnection;
    const { twins } = service(helper, async () => connection);
    const twin = await startTwin(twins, { autoRenew: false });

    const forward = await twins.openForward(HOST, twin.twinId, 9100);
    expect(helper.callsOf('forward').map((call) => call.args)).toEqual([{ cloneId: twin.twinId, guestPort: 9100 }]);
    expect(forward.localUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const localPort = Number(new URL(forward.localUrl ?? '').port);

    const reply = await new Promise<string>((resolve, reject) => {
      const client = connect(localPort, '127.0.0.1', () => client.write('ping'));
      client.on('data', (data) => {
        resolve(data.toString('utf8'));
        client.destroy();
      });
      client.on('error', reject);
    });
    expect(reply).toBe('ping');
    expect(forwardedTo).toEqual([forward.hostPort]);

    // A port the twin already forwards needs no new forward; the tunnel for 9100 is reused.
    await twins.openForward(HOST, twin.twinId, 8080);
    expect(helper.callsOf('forward')).toHaveLength(1);
    expect((await twins.openForward(HOST, twin.twinId, 9100)).localUrl).toBe(forward.localUrl);
    expect((await twins.list(HOST))[0]?.forwards.every((listed) => listed.localUrl !== null)).toBe(true);
    await twins.close();
  });

  it('says FORWARD_FAILED when the host cannot add the forward', async () => {
    const helper = fakeHelper();
    const { twins } = service(helper);
    const twin = await startTwin(twins, { autoRenew: false });
    helper.failNext('forward', new WorkbenchFailure('HELPER_FAILED', 'The forward could not bind 127.0.0.1:40001.'));
    await expect(twins.openForward(HOST, twin.twinId, 9100)).rejects.toMatchObject({ code: 'FORWARD_FAILED', message: expect.stringContaining('could not bind') });
  });
});
