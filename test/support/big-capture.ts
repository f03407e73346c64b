import { createHash } from 'node:crypto';
import type { GuestString, StoredFinding, StoredKernelModule, StoredProcess, StoredSocket, SystemDocument } from '../../main/bundle/bundle-schema';
import { createBundleWriter, type BundleIdentity } from '../../main/bundle/bundle-writer';

// Large synthetic captures for review tests and benches: a seeded, deterministic process tree of any
// size with planted findings, sockets, secrets in environments and a corpus of hostile strings. Two
// variants ("before" and "after") differ by a known process and sockets, for the diff.

/** Hostile strings a capture may carry; each must show inert (as text, escaped) everywhere. */
export const hostileCorpus: readonly string[] = [
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=1">',
  '<svg onload=window.__pwned=1>',
  '"><iframe src="javascript:window.__pwned=1">',
  "'><a href=javascript:alert(1)>x</a>",
  '<a href="https://evil.example/">click</a>',
  '<style>*{display:none}</style>',
  '<link rel=stylesheet href=//evil.example/x.css>',
  '<meta http-equiv="refresh" content="0;url=https://evil.example">',
  '<base href="https://evil.example/">',
  '<form action=https://evil.example><button>go</button></form>',
  '<object data=x.swf></object>',
  '<embed src=x>',
  '<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=1>',
  '<!--',
  ']]><x>',
  '{{constructor.constructor("window.__pwned=1")()}}',
  '${window.__pwned=1}',
  'javascript:window.__pwned=1',
  'data:text/html,<script>window.__pwned=1</script>',
  '\u001b[2J\u001b[H cleared',
  '\u001b]0;title\u0007',
  '\u001b[31mred\u001b[0m',
  '\u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007',
  'nul\u0000byte',
  'bell\u0007bell',
  'back\bspace',
  'carriage\rreturn',
  'line\nfeed',
  'tab\there',
  'del\u007fete',
  'c1\u009bcontrol',
  'notes\u202etxt.py',
  '\u202dLTR override',
  '\u2066isolate\u2069',
  'zero\u200bwidth',
  'joiner\u200d\u200c',
  'bom\ufeffinside',
  'line\u2028separator',
  'para\u2029separator',
  'soft\u00adhyphen',
  'arabic\u061cmark',
  'rtl\u200fmark',
  'lone\ud800surrogate',
  'x'.repeat(5000),
  'A'.repeat(70_000),
  '=cmd|"/c calc"!A1',
  '+SUM(1,2)',
  '-2+3',
  '@SUM(A1)',
  '\t=1+1',
  '\r=1+1',
  '"quoted, with comma"',
  'back\\slash\\x1b forged escape',
  '&lt;already escaped&gt;',
  '&amp;amp;',
  'emoji 🙂 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '%00%0d%0a',
  '../../../../etc/passwd',
  'C:\\Windows\\System32',
];

/** What a generated capture holds, so tests can find what was planted. */
export interface BigCaptureFacts {
  readonly folder: string;
  readonly processCount: number;
  /** systemd's first child, the second row of the tree. */
  readonly firstServicePid: number;
  /** A flagged process with a deleted executable and a listener on 31337. */
  readonly backdoorPid: number;
  /** Pids whose name is a corpus string, in corpus order. */
  readonly hostilePids: readonly number[];
  /** Present only in the "after" variant. */
  readonly addedPid: number;
  /** A kernel module present only in the "after" variant. */
  readonly addedModule: string;
  readonly addedListenPort: number;
  /** Present only in the "before" variant. */
  readonly removedPid: number;
  readonly secretValue: string;
}

/** Options of `writeBigCapture`. */
export interface BigCaptureOptions {
  readonly processCount: number;
  readonly variant?: 'before' | 'after';
  readonly seed?: number;
}

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

const BOOT = Date.parse('2026-05-01T00:00:00Z');
const CAPTURE_START = '2026-05-02T12:00:00.000Z';
const CAPTURE_END = '2026-05-02T12:04:00.000Z';
const BACKDOOR_PID = 31337;
const ADDED_PID = 424242;
const ADDED_PORT = 8081;
const REMOVED_PID = 5;
const HOSTILE_FIRST_PID = 900_000;
const SECRET = 'hunter2-secret-value';

const users = [
  { name: 'root', uid: 0 },
  { name: 'www-data', uid: 33 },
  { name: 'postgres', uid: 105 },
  { name: 'app', uid: 1000 },
  { name: 'nobody', uid: 65534 },
];
const programs = ['nginx', 'postgres', 'python3', 'node', 'java', 'gunicorn', 'redis-server', 'php-fpm', 'sshd', 'cron', 'bash', 'worker'];

/** Writes a sealed synthetic capture with `processCount` processes (at least 200) into `folder`. */
export async function writeBigCapture(folder: string, options: BigCaptureOptions): Promise<BigCaptureFacts> {
  const variant = options.variant ?? 'before';
  const random = seeded(options.seed ?? 7);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const at = (seconds: number): string => new Date(BOOT + seconds * 1000).toISOString();
  const processes: StoredProcess[] = [];
  const sockets: StoredSocket[] = [];

  const add = (process: Partial<StoredProcess> & { pid: number; ppid: number; name: GuestString }): void => {
    processes.push({
      user: 'root',
      uid: 0,
      state: 'S',
      exe: null,
      exeDeleted: false,
      cwd: '/',
      argv: [],
      kernelThread: false,
      startedAt: at(Math.floor(random() * 100_000)),
      threads: 1 + Math.floor(random() * 8),
      rssKiB: Math.floor(random() * 500_000),
      cpuSeconds: Math.round(random() * 100_000) / 100,
      ...process,
    });
  };

  add({ pid: 1, ppid: 0, name: 'systemd', exe: '/usr/lib/systemd/systemd', argv: ['/sbin/init'], startedAt: at(0) });
  add({ pid: 2, ppid: 0, name: 'kthreadd', kernelThread: true, startedAt: at(0), rssKiB: 0 });
  const kernelCount = Math.max(20, Math.floor(options.processCount * 0.02));
  for (let index = 0; index < kernelCount; index += 1) {
    const pid = 3 + index;
    add({ pid, ppid: 2, name: `kworker/${index % 4}:${index}`, kernelThread: true, startedAt: at(index), rssKiB: 0, state: 'I' });
  }

  // Services under systemd, each with a worker tree up to four levels deep.
  // Service pids start past the kernel threads' pids.
  const firstServicePid = Math.max(1000, 3 + kernelCount + 100);
  let nextPid = firstServicePid;
  const parents: number[] = [1];
  // Both variants draw the same random sequence, so they differ only by what is planted below.
  const planted = 1 + hostileCorpus.length;
  while (processes.length < options.processCount - planted) {
    // Planted pids are reserved: a generated process must never share one.
    while (nextPid === BACKDOOR_PID || nextPid === ADDED_PID || (nextPid >= HOSTILE_FIRST_PID && nextPid < HOSTILE_FIRST_PID + hostileCorpus.length)) nextPid += 1;
    const pid = nextPid;
    nextPid += 1;
    const program = pick(programs);
    const user = pick(users);
    const ppid = parents.length > 1 && random() < 0.85 ? (parents[parents.length - 1 - Math.floor(random() * Math.min(parents.length, 50))] as number) : 1;
    const environment = random() < 0.1 ? ['PATH=/usr/bin:/bin', 'LANG=C.UTF-8', `DB_PASSWORD=${SECRET}`] : undefined;
    add({
      pid,
      ppid,
      name: program,
      user: user.name,
      uid: user.uid,
      exe: `/usr/bin/${program}`,
      argv: [`/usr/bin/${program}`, `--config=/etc/${program}/${pid % 97}.conf`, `--worker-id=${pid}`],
      cgroup: program === 'node' || program === 'java' ? `0::/system.slice/docker-${(pid % 7).toString(16).padStart(12, 'c')}.scope` : `0::/system.slice/${program}.service`,
      ...(environment ? { environment } : {}),
    });
    if (random() < 0.3) parents.push(pid);
    if (random() < 0.01) {
      sockets.push({ protocol: 'tcp', state: 'LISTEN', localAddress: '0.0.0.0', localPort: 1024 + (pid % 60_000), remoteAddress: null, remotePort: null, pid, inode: pid });
    }
  }

  add({
    pid: BACKDOOR_PID,
    ppid: 1,
    name: 'kworker/u9:1',
    user: 'www-data',
    uid: 33,
    exe: '/tmp/.x/kw (deleted)',
    exeDeleted: true,
    argv: ['/tmp/.x/kw', '--password', SECRET, `--token=${SECRET}`],
    environment: ['PATH=/usr/bin', `API_TOKEN=${SECRET}`, `DB_PASSWORD=${SECRET}`, 'LANG=C.UTF-8'],
    cwd: '/tmp/.x',
    startedAt: at(90_000),
    cgroup: '0::/user.slice/user-33.slice/session-4.scope',
    uids: [33, 33, 33, 33],
    gids: [33, 33, 33, 33],
    tracerPid: 0,
    fdCount: 7,
    namespaces: { mnt: 4026531841, net: 4026531840, pid: 4026531836 },
    executableAnonymousMappings: [
      { range: '7f3a00000000-7f3a00021000', permissions: 'rwxp', name: '' },
      { range: '7f3a10000000-7f3a10001000', permissions: 'r-xp', name: '/memfd:<img src=x onerror=window.__pwned=1> (deleted)' },
    ],
  });
  sockets.push({ protocol: 'tcp', state: 'LISTEN', localAddress: '0.0.0.0', localPort: 31337, remoteAddress: null, remotePort: null, pid: BACKDOOR_PID, inode: 1 });

  const hostilePids = hostileCorpus.map((_, index) => HOSTILE_FIRST_PID + index);
  hostileCorpus.forEach((text, index) => {
    add({ pid: HOSTILE_FIRST_PID + index, ppid: 1, name: text, user: 'app', uid: 1000, exe: `/opt/${text}`, argv: [text, `--arg=${text}`] });
  });

  if (variant === 'after') {
    add({ pid: ADDED_PID, ppid: 1, name: 'xmrig', user: 'app', uid: 1000, exe: '/dev/shm/xmrig', argv: ['/dev/shm/xmrig', '-o', 'pool.example:4444'], startedAt: at(100_500) });
    sockets.push({ protocol: 'tcp', state: 'LISTEN', localAddress: '0.0.0.0', localPort: ADDED_PORT, remoteAddress: null, remotePort: null, pid: ADDED_PID, inode: 2 });
    sockets.push({ protocol: 'tcp', state: 'ESTABLISHED', localAddress: '10.0.0.5', localPort: 50_000, remoteAddress: '203.0.113.7', remotePort: 4444, pid: ADDED_PID, inode: 3 });
  }

  if (variant === 'after') processes.splice(processes.findIndex((process) => process.pid === REMOVED_PID), 1);

  const findings: StoredFinding[] = [
    {
      id: 'F-001',
      rule: 'exe-deleted',
      severity: 'critical',
      title: 'Process runs a deleted executable',
      detail: `pid ${BACKDOOR_PID} runs /tmp/.x/kw, deleted from disk, posing as a kernel thread.`,
      pids: [BACKDOOR_PID],
      falsePositives: 'Package upgrades that replace a running binary.',
      nextStep: 'Copy the executable from /proc/PID/exe in the clone and hash it.',
    },
    {
      id: 'F-002',
      rule: 'suspicious-listener-port',
      severity: 'high',
      title: 'Listener on port 31337',
      detail: `pid ${BACKDOOR_PID} listens on 0.0.0.0:31337.`,
      pids: [BACKDOOR_PID],
      falsePositives: 'Developer tools on odd ports.',
      nextStep: 'Find the service that owns the port; block it at the firewall.',
    },
    {
      id: 'F-003',
      rule: 'hostile-name',
      severity: 'medium',
      title: 'Process names with control or markup characters',
      detail: hostileCorpus.slice(0, 45).join('\n'),
      pids: hostilePids.slice(0, 10),
      falsePositives: 'None known.',
      nextStep: 'Read the names escaped; do not paste them into a terminal.',
    },
    ...hostileCorpus.slice(0, 12).map((text, index) => ({
      id: `F-H${index}`,
      rule: 'hostile-title',
      severity: 'low' as const,
      title: text.slice(0, 1000) || 'empty',
      detail: text,
      pids: [HOSTILE_FIRST_PID + index],
      falsePositives: text.slice(0, 1000),
      nextStep: 'Check the escaping.',
    })),
  ];
  if (variant === 'after') {
    findings.push({
      id: 'F-100',
      rule: 'miner',
      severity: 'high',
      title: 'Cryptocurrency miner running from /dev/shm',
      detail: `pid ${ADDED_PID} connects to 203.0.113.7:4444.`,
      pids: [ADDED_PID],
      falsePositives: 'None on a web server.',
      nextStep: 'Kill it in production after the capture; find how it got there.',
    });
  }

  const kernelModule = (name: string): StoredKernelModule => ({ name, size: 16_384, instances: 1, dependencies: [], state: 'Live', taints: '' });
  const system: SystemDocument = {
    schemaVersion: 1,
    capturedAt: CAPTURE_START,
    kernel: { banner: 'Linux version 6.1.0-18-amd64', release: '6.1.0-18-amd64', tainted: 0, taintFlags: [], uptimeSeconds: 100_000, bootedAt: at(0) },
    modules: ['ext4', 'virtio_net', 'virtio_blk', 'nf_tables', ...(variant === 'after' ? ['diamorphine'] : [])].map(kernelModule),
    mounts: [{ source: '/dev/vda1', target: '/', fsType: 'ext4', options: 'rw,relatime' }],
    ldSoPreload: { present: false, content: null, truncated: false },
    logins: [],
    persistence: [],
    persistenceTruncated: false,
  };

  const identity: BundleIdentity = {
    captureId: `big-${options.processCount}-${variant}`,
    toolVersion: '0.1.0',
    helperVersion: '0.1.0',
    host: { name: 'kvm-bench-01', hostKeySha256: `SHA256:${createHash('sha256').update('kvm-bench-01').digest('base64').replace(/=+$/, '')}` },
    vm: { name: 'big-web', uuid: '2c1e0f4a-7b9d-4c3e-8a5f-6d7e8f9a0b1c' },
    cloneId: `clone-big-${variant}`,
    startedAt: CAPTURE_START,
  };
  const writer = await createBundleWriter(folder, identity);
  // Compact JSON: a 100k-process document must stay under the reader's 64 MiB cap.
  const json = (value: unknown): string => JSON.stringify(value);
  await writer.addArtifact({ path: 'artifacts/processes.json', mediaType: 'application/json', role: 'processes' }, json({ schemaVersion: 1, capturedAt: CAPTURE_START, processes }));
  await writer.addArtifact({ path: 'artifacts/sockets.json', mediaType: 'application/json', role: 'sockets' }, json({ schemaVersion: 1, capturedAt: CAPTURE_START, sockets }));
  await writer.addArtifact({ path: 'artifacts/findings.json', mediaType: 'application/json', role: 'findings' }, json({ schemaVersion: 1, generatedAt: CAPTURE_END, findings }));
  await writer.addArtifact({ path: 'artifacts/system.json', mediaType: 'application/json', role: 'system' }, json(system));
  await writer.addArtifact({ path: 'artifacts/helper.log', mediaType: 'text/plain', role: 'log' }, `${CAPTURE_START} INFO capture of big-web\n${hostileCorpus.slice(0, 30).join('\n')}\n`);
  await writer.addArtifact({ path: 'artifacts/metrics.jsonl', mediaType: 'application/x-ndjson', role: 'metrics' }, metricsLines(Date.parse(CAPTURE_START) / 1000, random));
  await writer.addArtifact(
    { path: `artifacts/backtraces/${BACKDOOR_PID}.txt`, mediaType: 'text/plain', role: 'backtraces' },
    `Thread 1 (LWP ${BACKDOOR_PID}):\n#0  0x00007f0000001000 in accept () from /lib/libc.so.6\n#1  0x0000000000401234 in main ()\n${hostileCorpus.slice(20, 24).join('\n')}\n`,
  );
  await writer.addArtifact({ path: 'artifacts/memory.elf', mediaType: 'application/octet-stream', role: 'memory-dump' }, new Uint8Array(4096).fill(0x41));
  writer.recordCommand({ argv: ['civic-helper', 'clone', '--vm', 'big-web'], exitCode: 0, startedAt: CAPTURE_START, endedAt: '2026-05-02T12:00:05.000Z' });
  writer.recordCommand({ argv: ['civic-helper', 'collect', 'processes'], exitCode: 0, startedAt: '2026-05-02T12:00:06.000Z', endedAt: '2026-05-02T12:01:00.000Z' });
  writer.recordCommand({ argv: ['civic-helper', 'detect'], exitCode: 1, startedAt: '2026-05-02T12:01:01.000Z', endedAt: '2026-05-02T12:03:00.000Z' });
  await writer.seal({ endedAt: CAPTURE_END, actor: 'civic-helper@kvm-bench-01' });
  return {
    folder,
    processCount: processes.length,
    firstServicePid,
    backdoorPid: BACKDOOR_PID,
    hostilePids,
    addedPid: ADDED_PID,
    addedModule: 'diamorphine',
    addedListenPort: ADDED_PORT,
    removedPid: REMOVED_PID,
    secretValue: SECRET,
  };
}

/** Metrics samples as the helper writes them (JSON lines of /proc counters), one every 10 s. */
function metricsLines(startSeconds: number, random: () => number): string {
  let busy = 0;
  let idle = 0;
  let received = 0;
  let sectors = 0;
  const lines: string[] = [];
  for (let index = 0; index < 24; index += 1) {
    busy += Math.floor(200 + random() * 600);
    idle += 1000;
    received += Math.floor(random() * 5_000_000);
    sectors += Math.floor(random() * 20_000);
    lines.push(
      JSON.stringify({
        time: startSeconds + index * 10,
        uptimeSeconds: 100_000 + index * 10,
        cpu: { cpu: { user: busy, nice: 0, system: 0, idle, iowait: 0, irq: 0, softirq: 0, steal: 0 } },
        memory: { MemTotal: 8 * 1024 ** 3, MemAvailable: Math.floor((3 + random()) * 1024 ** 3) },
        net: { lo: { rxBytes: 1, txBytes: 1 }, eth0: { rxBytes: received, txBytes: Math.floor(received / 3) } },
        disk: { vda: { sectorsRead: sectors, sectorsWritten: Math.floor(sectors / 2) } },
      }),
    );
  }
  return lines.join('\n') + '\n';
}
