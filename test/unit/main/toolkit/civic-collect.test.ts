import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
} from '../../../../main/bundle/bundle-schema';
import { openBundle } from '../../../../main/bundle/bundle-reader';
import { createBundleWriter } from '../../../../main/bundle/bundle-writer';
import { compileCollector } from '../../../../main/toolkit/compile-collector';
import { link, procNetAddress, procNetLine, put, statLine, utmpRecord } from './proc-fixture';

const run = promisify(execFile);
const BOOT = 1_700_000_000;
const NOW = 1_700_000_500;
const MIB = 1024 * 1024;

let work: string;
let collector: string;
let proc: string;
let fs: string;

/** Bytes back from a stored guest string. */
function bytesOf(value: GuestString): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value.b64, 'base64');
}

async function collect(document: string, extra: readonly string[] = []): Promise<{ text: string; stderr: string }> {
  const output = join(work, `${document}.json`);
  const { stderr } = await run(collector, ['--proc-root', proc, '--fs-root', fs, '--now', String(NOW), ...extra, '-o', output, document], { maxBuffer: 16 * MIB });
  return { text: await readFile(output, 'utf8'), stderr };
}

// Hostile bytes, one argv entry each: controls, invalid UTF-8, an overlong slash, a lone surrogate, and valid text.
const HOSTILE_ARGS: readonly Buffer[] = [
  Buffer.from('\x1b[31mred\x07\ttab"quote\\back', 'latin1'),
  Buffer.from([0x66, 0xff, 0xfe, 0x6f]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from('snowman \u2603 line\u2028sep \u{1f600}', 'utf8'),
];
const HOSTILE_COMM = Buffer.from([0x65, 0x76, 0x1b, 0x69, 0x6c, 0xff]);
// The kernel caps one argument at 128 KiB, so a large command line is many arguments: 10 x 120 KiB.
const BIG_ARGS = Array.from({ length: 10 }, (_, index) => Buffer.alloc(120 * 1024, 0x61 + index));

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'civic-collect-'));
  collector = join(work, 'civic-collect');
  await compileCollector(collector);
  proc = join(work, 'proc');
  fs = join(work, 'fs');

  await put(proc, 'stat', `cpu  1 2 3 4\nintr 0\nbtime ${BOOT}\nprocesses 100\n`);
  await put(proc, 'uptime', '500.25 400.00\n');
  await put(proc, 'version', 'Linux version 6.1.0-test (builder@x) #1 SMP\n');
  await put(proc, 'sys/kernel/osrelease', '6.1.0-test\n');
  await put(proc, 'sys/kernel/tainted', '4097\n');
  await put(proc, 'modules', 'evil 16384 0 - Live 0x0000000000000000 (OE)\nvirtio_net 73728 0 net_failover,failover, Live 0x0000000000000000\n');
  await put(proc, '1/mounts', 'proc /proc proc rw,relatime 0 0\n/dev/vda /mnt/with\\040space ext4 rw 0 0\n');
  await put(proc, '1/stat', statLine({ pid: 1, comm: 'init', ppid: 0, starttime: 1 }));

  // 100: an ordinary daemon with a listening socket and injected code.
  await put(proc, '100/stat', statLine({ pid: 100, comm: 'httpd', ppid: 1, utime: 150, stime: 50, threads: 3, starttime: 12_345, vsize: 8 * MIB, rss: 25 }));
  await put(proc, '100/status', 'Name:\thttpd\nState:\tS (sleeping)\nTracerPid:\t0\nUid:\t33\t33\t33\t33\nGid:\t34\t34\t34\t34\nThreads:\t3\n');
  await put(proc, '100/comm', 'httpd\n');
  await put(proc, '100/cmdline', 'httpd\0-p\0' + '80\0');
  await put(proc, '100/environ', 'PATH=/bin\0LD_PRELOAD=/tmp/.libhook.so\0');
  await put(proc, '100/cgroup', '0::/system.slice/httpd.service\n');
  await put(
    proc,
    '100/maps',
    [
      '00400000-00452000 r-xp 00000000 08:02 173521      /usr/sbin/httpd',
      '7f0000000000-7f0000001000 rwxp 00000000 00:00 0 ',
      '7f0000002000-7f0000003000 r-xp 00000000 00:01 77  /memfd:payload (deleted)',
      '7f0000004000-7f0000005000 rw-p 00000000 00:00 0 ',
      '7ffd00000000-7ffd00001000 r-xp 00000000 00:00 0   [vdso]',
      '7ffe00000000-7ffe00001000 r-xp',
      '',
    ].join('\n'),
  );
  await link(proc, '100/exe', '/usr/sbin/httpd');
  await link(proc, '100/cwd', '/var/www');
  await link(proc, '100/root', '/');
  await link(proc, '100/fd/0', '/dev/null');
  await link(proc, '100/fd/3', 'socket:[5001]');
  await link(proc, '100/fd/4', 'socket:[5003]');
  await link(proc, '100/ns/net', 'net:[4026531840]');
  await link(proc, '100/ns/pid', 'pid:[4026531836]');

  // 101: hostile name and arguments, and a command line over the 1 MiB cap.
  await put(proc, '101/stat', statLine({ pid: 101, comm: 'evil', ppid: 100 }));
  await put(proc, '101/status', 'Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nTracerPid:\t100\n');
  await put(proc, '101/comm', Buffer.concat([HOSTILE_COMM, Buffer.from('\n')]));
  await put(proc, '101/cmdline', Buffer.concat([...HOSTILE_ARGS, ...BIG_ARGS].flatMap((arg) => [arg, Buffer.from([0])])));
  await link(proc, '101/exe', '/tmp/updater');

  // 102: a kernel thread (PF_KTHREAD) with links that must not be reported as an executable.
  await put(proc, '102/stat', statLine({ pid: 102, comm: 'kworker/0:2', ppid: 2, flags: 0x00208040 }));
  await put(proc, '102/cmdline', '');

  // 103: comm holding ") (" to confuse a naive stat parser; no comm or status file.
  await put(proc, '103/stat', statLine({ pid: 103, comm: 'a) S 99 (b', ppid: 100, state: 'R' }));

  // 104: vanished between the listing and the read.
  await put(proc, '104/comm', 'gone\n');

  // 105: running a deleted executable; its argv area was rewritten and padded with NULs.
  await put(proc, '105/stat', statLine({ pid: 105, comm: '[kworker/0:1]', ppid: 1 }));
  await put(proc, '105/cmdline', '[kworker/0:1]\0\0\0\0\0\0\0\0');
  await link(proc, '105/exe', '/var/tmp/.cache-sync (deleted)');

  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  await put(
    proc,
    'net/tcp',
    header +
      procNetLine(0, procNetAddress([0, 0, 0, 0], 80), procNetAddress([0, 0, 0, 0], 0), 0x0a, 5001) +
      procNetLine(1, procNetAddress([10, 0, 2, 15], 22), procNetAddress([10, 0, 2, 2], 5555), 0x01, 5002) +
      procNetLine(2, procNetAddress([127, 0, 0, 1], 7070), procNetAddress([127, 0, 0, 1], 40000), 0x06, 0),
  );
  const v6 = (...words: number[]): number[] => words.flatMap((word) => [word >> 8, word & 0xff]);
  await put(
    proc,
    'net/tcp6',
    header +
      procNetLine(0, procNetAddress(v6(0, 0, 0, 0, 0, 0, 0, 0), 31337), procNetAddress(v6(0, 0, 0, 0, 0, 0, 0, 0), 0), 0x0a, 5003) +
      procNetLine(1, procNetAddress(v6(0, 0, 0, 0, 0, 0, 0, 1), 8080), procNetAddress(v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), 443), 0x01, 5004) +
      procNetLine(2, procNetAddress(v6(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1), 80), procNetAddress(v6(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1), 50000), 0x01, 5005),
  );
  await put(proc, 'net/udp', header + procNetLine(0, procNetAddress([0, 0, 0, 0], 68), procNetAddress([0, 0, 0, 0], 0), 0x07, 5006));
  await put(proc, 'net/udp6', header);
  await put(
    proc,
    'net/unix',
    'Num       RefCount Protocol Flags    Type St Inode Path\n' +
      '0000000000000000: 00000002 00000000 00010000 0001 01 5101 /run/evil socket.sock\n' +
      '0000000000000000: 00000002 00000000 00000000 0001 03 5102 @abstract\n' +
      '0000000000000000: 00000002 00000000 00000000 0002 01 5103\n',
  );

  await put(fs, 'etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www:/var/www:/usr/sbin/nologin\nbroken line\n');
  await put(fs, 'etc/ld.so.preload', '/tmp/.libhook.so\n');
  await put(fs, 'etc/crontab', '* * * * * root /tmp/updater\n');
  await put(fs, 'etc/cron.d/job', 'payload\n');
  await put(fs, 'etc/systemd/system/evil.service', '[Service]\nExecStart=/tmp/updater\n');
  await link(fs, 'etc/systemd/system/multi-user.target.wants/evil.service', '/etc/systemd/system/evil.service');
  await link(fs, 'etc/cron.d/shadow-link', '/etc/shadow');
  await put(fs, 'home/alice/.ssh/authorized_keys', 'ssh-ed25519 AAAA alice\n');
  await put(fs, 'var/run/utmp', Buffer.concat([utmpRecord('alice', 'pts/0', '203.0.113.9', 4242, NOW - 60)]));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('processes', () => {
  let document: ProcessesDocument;
  let text: string;
  let summary: string;
  const byPid = (pid: number): StoredProcess => {
    const found = document.processes.find((entry) => entry.pid === pid);
    if (!found) throw new Error(`pid ${pid} missing`);
    return found;
  };

  beforeAll(async () => {
    ({ text, stderr: summary } = await collect('processes'));
    document = processesDocumentSchema.parse(JSON.parse(text));
  });

  it('validates against the bundle schema, skips the vanished process and says so', () => {
    expect(document.processes.map((entry) => entry.pid)).toEqual([1, 100, 101, 102, 103, 105]);
    expect(document.capturedAt).toBe('2023-11-14T22:21:40.000Z');
    expect(summary).toMatch(/processes: 6 items, 1 vanished, 1 capped/);
    expect(document.truncated).toBe(false);
  });

  it('reads identity, times and sizes from stat and status', () => {
    const httpd = byPid(100);
    expect(httpd).toMatchObject({ ppid: 1, name: 'httpd', user: 'www-data', uid: 33, uids: [33, 33, 33, 33], gids: [34, 34, 34, 34] });
    expect(httpd).toMatchObject({ exe: '/usr/sbin/httpd', exeDeleted: false, cwd: '/var/www', root: '/', argv: ['httpd', '-p', '80'] });
    // btime + starttime / CLK_TCK (100)
    expect(httpd.startedAt).toBe(new Date((BOOT + 123.45) * 1000).toISOString());
    expect(httpd).toMatchObject({ threads: 3, rssKiB: 100, vszKiB: 8192, cpuSeconds: 2, fdCount: 3, tracerPid: 0 });
    expect(httpd.cgroup).toBe('0::/system.slice/httpd.service');
    expect(httpd.namespaces).toEqual({ net: 4026531840, pid: 4026531836 });
    expect(httpd.environment).toContain('LD_PRELOAD=/tmp/.libhook.so');
  });

  it('lists executable mappings with no file behind them, not the program, data or the vdso', () => {
    expect(byPid(100).executableAnonymousMappings).toEqual([
      { range: '7f0000000000-7f0000001000', permissions: 'rwxp', name: '' },
      { range: '7f0000002000-7f0000003000', permissions: 'r-xp', name: '/memfd:payload (deleted)' },
    ]);
  });

  it('stores hostile names and arguments with their exact bytes and escapes control characters', () => {
    const evil = byPid(101);
    expect(bytesOf(evil.name).equals(HOSTILE_COMM)).toBe(true);
    expect(evil.name).toEqual({ b64: HOSTILE_COMM.toString('base64') });
    HOSTILE_ARGS.forEach((expected, index) => expect(bytesOf(evil.argv[index] ?? '').equals(expected)).toBe(true));
    expect(evil.argv[0]).toBe('\x1b[31mred\x07\ttab"quote\\back');
    expect(typeof evil.argv[1]).toBe('object'); // invalid UTF-8
    expect(typeof evil.argv[2]).toBe('object'); // overlong encoding
    expect(typeof evil.argv[3]).toBe('object'); // UTF-16 surrogate
    expect(typeof evil.argv[4]).toBe('string');
    expect(text).toContain('\\u001b[31mred\\u0007\\u0009tab\\"quote\\\\back');
    // No raw control byte anywhere but the final newline.
    expect([...text.slice(0, -1)].some((character) => character.charCodeAt(0) < 0x20)).toBe(false);
    expect(evil.tracerPid).toBe(100);
  });

  it('keeps exactly the first 1 MiB of a larger command line and marks it truncated', () => {
    const evil = byPid(101);
    expect(evil.argvTruncated).toBe(true);
    const full = Buffer.concat([...HOSTILE_ARGS, ...BIG_ARGS].flatMap((arg) => [arg, Buffer.from([0])]));
    const kept = Buffer.concat(evil.argv.map(bytesOf).flatMap((arg, index) => (index === 0 ? [arg] : [Buffer.from([0]), arg])));
    expect(kept.length).toBe(MIB);
    expect(kept.equals(full.subarray(0, MIB))).toBe(true);
    expect(byPid(100).argvTruncated).toBe(false);
  });

  it('reports kernel threads without an executable, parses a comm holding ") (", flags deleted executables', () => {
    expect(byPid(102)).toMatchObject({ kernelThread: true, exe: null, ppid: 2, argv: [] });
    expect(byPid(103)).toMatchObject({ name: 'a) S 99 (b', ppid: 100, state: 'R', user: 'root', kernelThread: false });
    expect(byPid(105)).toMatchObject({ exe: '/var/tmp/.cache-sync', exeDeleted: true, argv: ['[kworker/0:1]'] });
  });
});

describe('sockets', () => {
  let document: SocketsDocument;

  beforeAll(async () => {
    document = socketsDocumentSchema.parse(JSON.parse((await collect('sockets')).text));
  });

  it('decodes IPv4 addresses and ports, names states as ss does, joins owners by inode', () => {
    const [listen, established, timeWait] = document.sockets.filter((entry) => entry.protocol === 'tcp');
    expect(listen).toEqual({ protocol: 'tcp', state: 'LISTEN', localAddress: '0.0.0.0', localPort: 80, remoteAddress: null, remotePort: null, pid: 100, inode: 5001 });
    expect(established).toMatchObject({ state: 'ESTABLISHED', localAddress: '10.0.2.15', localPort: 22, remoteAddress: '10.0.2.2', remotePort: 5555, pid: null, inode: 5002 });
    expect(timeWait).toMatchObject({ state: 'TIME-WAIT', localPort: 7070, inode: null, pid: null });
  });

  it('writes IPv6 addresses in their short form, v4-mapped ones dotted', () => {
    const tcp6 = document.sockets.filter((entry) => entry.protocol === 'tcp6');
    expect(tcp6.map((entry) => [entry.localAddress, entry.remoteAddress])).toEqual([
      ['::', null],
      ['::1', '2001:db8::1'],
      ['::ffff:127.0.0.1', '::ffff:127.0.0.1'],
    ]);
    expect(tcp6[0]).toMatchObject({ localPort: 31337, state: 'LISTEN', pid: 100 });
  });

  it('lists UDP and unix sockets with their paths', () => {
    expect(document.sockets.find((entry) => entry.protocol === 'udp')).toMatchObject({ state: 'UNCONN', localPort: 68, remoteAddress: null });
    const unix = document.sockets.filter((entry) => entry.protocol === 'unix');
    expect(unix.map((entry) => [entry.state, entry.localAddress, entry.inode])).toEqual([
      ['LISTEN', '/run/evil socket.sock', 5101],
      ['ESTABLISHED', '@abstract', 5102],
      ['UNCONN', '', 5103],
    ]);
  });
});

describe('system facts', () => {
  let document: SystemDocument;

  beforeAll(async () => {
    document = systemDocumentSchema.parse(JSON.parse((await collect('system')).text));
  });

  it('reads the kernel banner, taint letters, uptime and boot time', () => {
    expect(document.kernel).toEqual({
      banner: 'Linux version 6.1.0-test (builder@x) #1 SMP',
      release: '6.1.0-test',
      tainted: 4097,
      taintFlags: ['P', 'O'],
      uptimeSeconds: 500.25,
      bootedAt: new Date(BOOT * 1000).toISOString(),
    });
  });

  it('lists modules with dependencies and taints, and mounts with escapes decoded', () => {
    expect(document.modules).toEqual([
      { name: 'evil', size: 16384, instances: 0, dependencies: [], state: 'Live', taints: '(OE)' },
      { name: 'virtio_net', size: 73728, instances: 0, dependencies: ['net_failover', 'failover'], state: 'Live', taints: '' },
    ]);
    expect(document.mounts[1]).toEqual({ source: '/dev/vda', target: '/mnt/with space', fsType: 'ext4', options: 'rw' });
  });

  it('reads ld.so.preload and utmp logins', () => {
    expect(document.ldSoPreload).toEqual({ present: true, content: '/tmp/.libhook.so\n', truncated: false });
    expect(document.logins).toEqual([{ user: 'alice', line: 'pts/0', host: '203.0.113.9', pid: 4242, loginAt: new Date((NOW - 60) * 1000).toISOString() }]);
  });

  it('hashes files in persistence locations and records links without following them', () => {
    const byPath = new Map(document.persistence.map((entry) => [entry.path, entry]));
    expect(byPath.get('/etc/cron.d/job')).toMatchObject({ type: 'file', size: 8, sha256: createHash('sha256').update('payload\n').digest('hex') });
    expect(byPath.get('/etc/cron.d/shadow-link')).toMatchObject({ type: 'symlink', sha256: null, linkTarget: '/etc/shadow' });
    expect(byPath.get('/etc/systemd/system/multi-user.target.wants/evil.service')).toMatchObject({ type: 'symlink', linkTarget: '/etc/systemd/system/evil.service' });
    expect(byPath.get('/etc/systemd/system/multi-user.target.wants')).toMatchObject({ type: 'directory', sha256: null });
    expect(byPath.get('/home/alice/.ssh/authorized_keys')).toMatchObject({ type: 'file' });
    expect(byPath.has('/etc/rc.local')).toBe(false);
    expect(document.persistenceTruncated).toBe(false);
  });
});

describe('the command line', () => {
  it('refuses bad usage with exit code 2 and an unwritable output with 3', async () => {
    await expect(run(collector, ['processes'])).rejects.toMatchObject({ code: 2 });
    await expect(run(collector, ['-o', join(work, 'x.json'), 'everything'])).rejects.toMatchObject({ code: 2 });
    await expect(run(collector, ['--proc-root', proc, '-o', join(work, 'missing', 'x.json'), 'processes'])).rejects.toMatchObject({
      code: 3,
      stderr: expect.stringContaining('cannot write'),
    });
    await expect(run(collector, ['--proc-root', join(work, 'nothing'), '-o', join(work, 'x.json'), 'processes'])).rejects.toMatchObject({ code: 3 });
  });
});

describe('caps and races', () => {
  it('stops adding processes at the 60 MiB output cap, marks the document truncated and exits 1', async () => {
    const big = join(work, 'big-proc');
    // Invalid UTF-8 is stored as base64 (4/3 larger): 50 processes of 1 MiB each pass the cap.
    const argument = Buffer.alloc(MIB - 1, 0xff);
    await put(big, 'stat', `btime ${BOOT}\n`);
    for (let pid = 1; pid <= 50; pid += 1) {
      await mkdir(join(big, String(pid)));
      await writeFile(join(big, String(pid), 'stat'), statLine({ pid, comm: 'big' }));
      await writeFile(join(big, String(pid), 'cmdline'), Buffer.concat([argument, Buffer.from([0])]));
    }
    const output = join(work, 'big.json');
    const failure = await run(collector, ['--proc-root', big, '--fs-root', fs, '-o', output, 'processes'], { maxBuffer: MIB }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 1, stderr: expect.stringContaining('truncated at the output cap') });
    const bytes = await readFile(output);
    expect(bytes.length).toBeLessThanOrEqual(60 * MIB);
    const document = processesDocumentSchema.parse(JSON.parse(bytes.toString('utf8')));
    expect(document.truncated).toBe(true);
    expect(document.processes.length).toBeGreaterThan(30);
    expect(document.processes.length).toBeLessThan(50);
    await rm(big, { recursive: true, force: true });
  });

  it('reads the real /proc while processes come and go, and every document still validates', async () => {
    // A shell that starts and reaps short-lived children as fast as it can, so some vanish mid-read.
    const churn = spawn('/bin/sh', ['-c', 'while :; do /bin/true & /bin/true & wait; done'], { stdio: 'ignore' });
    try {
      for (let round = 0; round < 5; round += 1) {
        for (const [document, schema] of [
          ['processes', processesDocumentSchema],
          ['sockets', socketsDocumentSchema],
          ['system', systemDocumentSchema],
        ] as const) {
          const output = join(work, `real-${document}.json`);
          await run(collector, ['-o', output, document]);
          schema.parse(JSON.parse(await readFile(output, 'utf8')));
        }
      }
    } finally {
      churn.kill('SIGKILL');
    }
  });
});

describe('in a capture bundle', () => {
  it('the three documents are stored as written and read back by role', async () => {
    const folder = join(work, 'bundle');
    const writer = await createBundleWriter(folder, {
      captureId: 'capture-1',
      toolVersion: '0.1.0',
      helperVersion: '0.1.0',
      host: { name: 'kvm-test', hostKeySha256: `SHA256:${'A'.repeat(43)}` },
      vm: { name: 'vm-test', uuid: '00000000-0000-4000-8000-000000000001' },
      cloneId: 'clone-1',
      startedAt: new Date(NOW * 1000).toISOString(),
    });
    const written = new Map<string, string>();
    for (const document of ['processes', 'sockets', 'system'] as const) {
      const { text } = await collect(document);
      written.set(document, text);
      await writer.addArtifact({ path: `artifacts/${document}.json`, mediaType: 'application/json', role: document }, text);
    }
    await writer.addArtifact({ path: 'artifacts/diagnostics/backtrace-100.txt', mediaType: 'text/plain', role: 'diagnostic' }, 'Thread 1 (LWP 100)\n');
    await writer.seal({ endedAt: new Date(NOW * 1000).toISOString(), actor: 'civic-helper@kvm-test' });
    const bundle = await openBundle(folder);
    try {
      expect(bundle.integrity).toMatchObject({ verified: true, artifactsChecked: 4 });
      expect(await bundle.readDocument('system')).toEqual(JSON.parse(written.get('system') ?? ''));
      expect(await bundle.readDocument('processes')).toEqual(JSON.parse(written.get('processes') ?? ''));
      expect(await bundle.readDocument('sockets')).toEqual(JSON.parse(written.get('sockets') ?? ''));
    } finally {
      await bundle.close();
    }
  });
});
