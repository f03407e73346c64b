import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  processesDocumentSchema,
  socketsDocumentSchema,
  systemDocumentSchema,
  type GuestString,
  type ProcessesDocument,
  type SocketsDocument,
  type StoredProcess,
  type SystemDocument,
} from '../../../main/bundle/bundle-schema';
import { backtraceArgv, coreDumpArgv, kernelStacksArgv, outputPath, syscallSummaryArgv } from '../../../main/toolkit/diagnostic-commands';
import { GUEST_BUSYBOX } from '../../../main/toolkit/toolkit-layout';
import { labVm, readLabInfo, type LabVmInfo } from '../../support/lab';
import {
  guestReadFile,
  guestRun,
  guestRunChecked,
  injectToolkit,
  removeToolkit,
  runCollector,
  testToolkit,
  withGuestAgent,
  type GuestRun,
  type InjectedToolkit,
} from '../../support/toolkit';

const run = promisify(execFile);
const MIB = 1024 * 1024;

// A process with a hostile name and command line, made inside the guest (qemu-ga only carries UTF-8 strings).
// The inner shell writes its own comm, then waits on a child so it stays the process we look at.
const HOSTILE_INNER = `printf 'ev\\033il\\377' > /proc/$$/comm; trap 'kill $child; exit 0' TERM; ${GUEST_BUSYBOX} sleep 600 & child=$!; wait`;
const HOSTILE_SMALL_ARGS = [Buffer.from('ctl\x01\x1b[31mred\x7f', 'latin1'), Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x75, 0x74, 0x66, 0x38])];
// The kernel caps one argument at 128 KiB, so "more than 1 MiB" is nine arguments of 131000 bytes.
const BIG_LETTERS = 'ABCDEFGHI';
const BIG_ARG_BYTES = 131_000;
const HOSTILE_OUTER = [
  `a1=$(printf 'ctl\\001\\033[31mred\\177')`,
  `a2=$(printf 'bad\\377\\376utf8')`,
  ...[...BIG_LETTERS].map((letter) => `big${letter}=$(${GUEST_BUSYBOX} head -c ${BIG_ARG_BYTES} /dev/zero | ${GUEST_BUSYBOX} tr '\\0' ${letter})`),
  `${GUEST_BUSYBOX} sh -c "$INNER" civic-hostile "$a1" "$a2" ${[...BIG_LETTERS].map((letter) => `"$big${letter}"`).join(' ')} </dev/null >/dev/null 2>&1 &`,
  'echo $!',
].join('\n');

function expectedHostileCommandLine(): Buffer {
  const args = [GUEST_BUSYBOX, 'sh', '-c', HOSTILE_INNER, 'civic-hostile'].map((arg) => Buffer.from(arg, 'utf8'));
  args.push(...HOSTILE_SMALL_ARGS, ...[...BIG_LETTERS].map((letter) => Buffer.alloc(BIG_ARG_BYTES, letter)));
  return Buffer.concat(args.flatMap((arg) => [arg, Buffer.from([0])]));
}

function bytesOf(value: GuestString): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value.b64, 'base64');
}

function text(value: GuestString | null | undefined): string {
  return value === null || value === undefined ? '' : bytesOf(value).toString('utf8');
}

let web: LabVmInfo;
let injected: InjectedToolkit | null = null;
let hostilePid = 0;
let processes: ProcessesDocument;
let sockets: SocketsDocument;
let system: SystemDocument;
let work: string;

function one(predicate: (process: StoredProcess) => boolean, what: string): StoredProcess {
  const found = processes.processes.filter(predicate);
  expect(found, what).toHaveLength(1);
  return found[0] as StoredProcess;
}

function named(name: string): StoredProcess[] {
  return processes.processes.filter((process) => text(process.name) === name);
}

function agentSocket(): string {
  if (!web.qgaSocketPath) throw new Error('lab-web has no guest agent socket');
  return web.qgaSocketPath;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'civic-toolkit-lab-'));
  web = labVm(await readLabInfo(), 'lab-web');
  const build = await testToolkit();
  await withGuestAgent(agentSocket(), async (agent) => {
    injected = await injectToolkit(agent, build);
    console.log(`toolkit ${build.key}: payload ${build.payloadBytes} bytes, unpacked ${build.manifest.totalBytes}; inject ms ${JSON.stringify(injected.timings)}`);
    const started = await guestRunChecked(agent, GUEST_BUSYBOX, ['env', `INNER=${HOSTILE_INNER}`, GUEST_BUSYBOX, 'sh', '-c', HOSTILE_OUTER]);
    hostilePid = Number(started.stdout.toString('utf8').trim());
    // The inner shell renames itself first thing; wait for it so the collector sees the finished name.
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const comm = await guestRun(agent, GUEST_BUSYBOX, ['cat', `/proc/${hostilePid}/comm`]);
      if (comm.stdout.subarray(0, 2).toString('latin1') === 'ev') break;
    }
    const collectStarted = Date.now();
    processes = processesDocumentSchema.parse(JSON.parse((await runCollector(agent, 'processes')).bytes.toString('utf8')));
    console.log(`processes collected and fetched in ${Date.now() - collectStarted} ms`);
    sockets = socketsDocumentSchema.parse(JSON.parse((await runCollector(agent, 'sockets')).bytes.toString('utf8')));
    system = systemDocumentSchema.parse(JSON.parse((await runCollector(agent, 'system')).bytes.toString('utf8')));
  });
}, 240_000);

afterAll(async () => {
  await withGuestAgent(agentSocket(), async (agent) => {
    if (hostilePid > 0) await guestRun(agent, GUEST_BUSYBOX, ['kill', String(hostilePid)]);
    if (injected) await removeToolkit(agent, injected);
    const left = await guestRun(agent, '/bin/sh', ['-c', 'grep -c civic /proc/mounts; ls /run']);
    console.log(`after removal: ${left.stdout.toString('utf8').replace(/\n/g, ' ')}`);
  });
  if (work) await rm(work, { recursive: true, force: true });
}, 120_000);

describe('the collector in lab-web', () => {
  it('shows the workload tree init -> supervisor.sh -> sh -> sh -> sleep with correct parents', () => {
    const supervisor = one((process) => text(process.name) === 'supervisor.sh', 'supervisor.sh');
    expect(supervisor.ppid).toBe(1);
    const tier2 = one((process) => process.ppid === supervisor.pid && text(process.name) === 'sh', 'tier2 sh');
    expect(tier2.argv.map(text)).toEqual(['/bin/sh', '/lab/tier2.sh']);
    const tier3 = one((process) => process.ppid === tier2.pid && text(process.name) === 'sh', 'tier3 sh');
    const sleep = one((process) => process.ppid === tier3.pid, 'sleep');
    expect(sleep.argv.map(text)).toEqual(['/bin/sleep', '100000']);
    expect(processes.processes.find((process) => process.pid === 1)?.ppid).toBe(0);
  });

  it('shows httpd, the 5-thread civic-worker and both civic-daemons', () => {
    expect(named('httpd').some((process) => process.ppid === 1)).toBe(true);
    const worker = one((process) => text(process.name) === 'civic-worker', 'civic-worker');
    expect(worker.threads).toBe(5);
    expect(worker.exe).toBe('/usr/bin/civic-worker');
    expect(named('civic-daemon').map((process) => text(process.argv[1])).sort()).toEqual(['31337', '7070']);
  });

  it('joins the listeners on :80, :7070 and :31337 to their processes', () => {
    const listener = (port: number): StoredProcess | undefined => {
      const socket = sockets.sockets.find((entry) => entry.state === 'LISTEN' && entry.localPort === port);
      return processes.processes.find((process) => process.pid === socket?.pid);
    };
    expect(text(listener(80)?.name)).toBe('httpd');
    expect(listener(80)?.ppid).toBe(1);
    expect(listener(7070)?.argv.map(text)).toEqual(['/usr/bin/civic-daemon', '7070']);
    expect(listener(31337)?.argv.map(text)).toEqual(['/usr/bin/civic-daemon', '31337']);
  });

  it('makes the planted oddities visible', () => {
    expect(one((process) => process.exe === '/var/tmp/.cache-sync', 'deleted exe').exeDeleted).toBe(true);
    expect(one((process) => process.exe === '/tmp/updater', 'exe in /tmp').exeDeleted).toBe(false);
    one((process) => (process.environment ?? []).some((entry) => text(entry) === 'LD_PRELOAD=/tmp/.libhook.so'), 'LD_PRELOAD');
    const httpdPids = new Set(named('httpd').map((process) => process.pid));
    const shell = one((process) => text(process.name) === 'sh' && httpdPids.has(process.ppid), 'sh child of httpd');
    expect(shell.argv.map(text)).toEqual(['/bin/sh', '-c', 'while true; do sleep 3600; done']);
    const fake = one((process) => text(process.name) === '[kworker/0:2]', 'fake kernel thread');
    expect(fake).toMatchObject({ kernelThread: false, exe: '/usr/bin/civic-sleeper', ppid: 1 });
    // civic-sleeper zeroes its whole argument area (the name too, before copying it): only comm names it.
    expect(fake.argv.map(text).join('')).toBe('');
  });

  it('reads the system facts', () => {
    expect(text(system.kernel.banner)).toMatch(/^Linux version 6\.1\.0-\d+-cloud-amd64/);
    expect(system.modules.map((module) => text(module.name))).toContain('virtio_net');
    expect(system.mounts.some((mount) => text(mount.target) === '/proc' && text(mount.fsType) === 'proc')).toBe(true);
    expect(system.ldSoPreload.present).toBe(false);
  });
});

describe('hostile process names in lab-web', () => {
  it('stores the name and every argument with their exact bytes, capping the command line at 1 MiB', () => {
    const hostile = one((process) => process.pid === hostilePid, 'hostile process');
    expect(bytesOf(hostile.name).equals(Buffer.from('ev\x1bil\xff', 'latin1'))).toBe(true);
    expect(typeof hostile.name).toBe('object');
    expect(bytesOf(hostile.argv[5] ?? '').equals(HOSTILE_SMALL_ARGS[0] as Buffer)).toBe(true);
    expect(hostile.argv[5]).toBe('ctl\x01\x1b[31mred\x7f');
    expect(hostile.argv[6]).toEqual({ b64: (HOSTILE_SMALL_ARGS[1] as Buffer).toString('base64') });
    expect(hostile.argvTruncated).toBe(true);
    const kept = Buffer.concat(hostile.argv.map(bytesOf).flatMap((arg, index) => (index === 0 ? [arg] : [Buffer.from([0]), arg])));
    expect(kept.length).toBe(MIB);
    expect(kept.equals(expectedHostileCommandLine().subarray(0, MIB))).toBe(true);
  });
});

describe('diagnostics in lab-web', () => {
  let workerPid: number;
  let backtrace: GuestRun;
  let stacks: GuestRun;
  let syscalls: GuestRun;

  beforeAll(async () => {
    workerPid = one((process) => text(process.name) === 'civic-worker', 'civic-worker').pid;
    await withGuestAgent(agentSocket(), async (agent) => {
      const took: string[] = [];
      const exec = async (argv: readonly [string, ...string[]], timeoutMs = 120_000): Promise<GuestRun> => {
        const started = Date.now();
        const result = await guestRun(agent, argv[0], argv.slice(1), timeoutMs);
        took.push(`${argv.find((arg) => /\/(gdb|strace)$/.test(arg))?.split('/').pop() ?? 'sh'} ${Date.now() - started} ms`);
        return result;
      };
      backtrace = await exec(backtraceArgv(workerPid));
      stacks = await exec(kernelStacksArgv(workerPid));
      syscalls = await exec(syscallSummaryArgv(workerPid, 3));
      const core = await exec(coreDumpArgv(workerPid, 'core.worker'));
      expect(core.exitCode, core.stderr.toString('utf8')).toBe(0);
      await writeFile(join(work, 'core.worker'), await guestReadFile(agent, outputPath('core.worker')));
      await guestRunChecked(agent, GUEST_BUSYBOX, ['rm', '-f', outputPath('core.worker')]);
      console.log(`diagnostics (backtrace, kernel stacks, strace 3 s, gcore): ${took.join(', ')}`);
    });
  }, 240_000);

  it('gdb prints a backtrace of every civic-worker thread', () => {
    const output = backtrace.stdout.toString('utf8');
    expect(backtrace.exitCode, backtrace.stderr.toString('utf8')).toBe(0);
    const threadHeaders = output.match(/^Thread \d+ \(.*LWP (\d+)/gm) ?? [];
    expect(threadHeaders).toHaveLength(5);
    const gdbThreads = new Set(threadHeaders.map((line) => /LWP (\d+)/.exec(line)?.[1]));
    const kernelThreads = new Set([...stacks.stdout.toString('utf8').matchAll(/^== thread (\d+)$/gm)].map((match) => match[1]));
    expect(gdbThreads).toEqual(kernelThreads);
    expect(output).toMatch(/#0 /);
  });

  it('reads each thread kernel stack', () => {
    expect(stacks.exitCode).toBe(0);
    expect(stacks.stdout.toString('utf8')).toMatch(/^== thread \d+\n(\[<0>\] \S+\n)+/m);
  });

  it('gcore writes a valid ELF core that comes back with file-get', async () => {
    const { stdout } = await run('readelf', ['-h', join(work, 'core.worker')]);
    expect(stdout).toMatch(/Type:\s+CORE/);
  });

  it('strace -c counts the worker system calls for the given seconds', () => {
    const table = syscalls.stderr.toString('utf8');
    expect(table).toMatch(/% time\s+seconds\s+usecs\/call\s+calls/);
    expect(table).toMatch(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+\d+\s+(\d+\s+)?(pwrite64|clock_nanosleep|nanosleep)$/m);
    expect(table).toMatch(/total$/m);
  });
});
