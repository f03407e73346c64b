import type {
  CaptureFacts,
  CaptureOverview,
  Finding,
  GuestText,
  ProcessDetailRecord,
  ProcessRow,
  ProcessWindow,
  ProcessWindowQuery,
  Result,
} from '../../../../preload/api';
import { buildProcessIndex } from '../../../../main/review/process-index';
import { createProcessQueryCache, queryProcessWindow } from '../../../../main/review/process-query';

/** Guest text without a cap. */
export function text(value: string): GuestText {
  return { text: value };
}

/** A process row with sensible defaults. */
export function processRow(pid: number, ppid: number, name: string, extra: Partial<ProcessRow> = {}): ProcessRow {
  return {
    record: pid,
    pid,
    ppid,
    name: text(name),
    user: 'root',
    uid: 0,
    state: 'S',
    exe: text(`/usr/bin/${name}`),
    exeDeleted: false,
    argv: [text(name)],
    startedAt: '2026-11-26T10:00:00.000Z',
    threads: 1,
    rssKiB: 2048,
    cpuSeconds: 1.5,
    flags: [],
    ...extra,
  };
}

/** A small process list: init, sshd with a shell, nginx workers and a miner running from /tmp. */
export const sampleProcesses: readonly ProcessRow[] = [
  processRow(1, 0, 'systemd', { argv: [text('/sbin/init'), text('splash')] }),
  processRow(410, 1, 'sshd', { argv: [text('sshd: /usr/sbin/sshd -D')] }),
  processRow(1022, 410, 'bash', { user: 'deploy', uid: 1000 }),
  processRow(800, 1, 'nginx', { argv: [text('nginx: master process')], user: 'root' }),
  processRow(801, 800, 'nginx', { argv: [text('nginx: worker process')], user: 'www-data', uid: 33 }),
  processRow(802, 800, 'nginx', { argv: [text('nginx: worker process')], user: 'www-data', uid: 33 }),
  processRow(1337, 1022, 'kworkerd', {
    user: 'deploy',
    uid: 1000,
    exe: text('/tmp/.x/kworkerd'),
    exeDeleted: true,
    argv: [text('kworkerd'), text('--pool'), text('stratum+tcp://203.0.113.9:3333')],
    cpuSeconds: 5400,
    threads: 8,
    flags: ['deleted-exe', 'masquerade'],
  }),
];

/** Findings about the sample processes. */
export const sampleFindings: readonly Finding[] = [
  {
    id: 'f-2',
    rule: 'masquerade',
    severity: 'high',
    title: 'User process named like a kernel thread',
    detail: text('kworkerd runs as uid 1000 from /tmp/.x'),
    pids: [1337],
    falsePositives: 'Rare; some agents pick odd names.',
    nextStep: 'Check the binary hash against known miners.',
  },
  {
    id: 'f-1',
    rule: 'deleted-exe',
    severity: 'critical',
    title: 'Process runs from a deleted executable',
    detail: text('/tmp/.x/kworkerd (deleted)'),
    pids: [1337],
    falsePositives: 'Package upgrades replace binaries of running services.',
    nextStep: 'Dump the process memory from the clone.',
  },
];

/** An overview of the sample capture. */
export const sampleOverview: CaptureOverview = {
  handle: 'h-sample',
  path: '/opt/civic/sample.civic',
  title: 'web-01 — sample capture',
  provenance: {
    schemaVersion: 1,
    captureId: 'c-1',
    toolVersion: '0.1.0',
    helperVersion: '0.1.0',
    host: { name: 'kvm-a.example', hostKeySha256: 'SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' },
    vm: { name: 'web-01', uuid: '2b1c0e2a-4a5e-4a4f-9a55-1f2e3d4c5b6a' },
    cloneId: 'clone-7',
    startedAt: '2026-11-26T10:00:00.000Z',
    endedAt: '2026-11-26T10:03:00.000Z',
    commands: [{ argv: ['ps'], exitCode: 0, startedAt: '2026-11-26T10:01:00.000Z', endedAt: '2026-11-26T10:01:01.000Z' }],
    artifacts: [],
    custody: [],
  },
  integrity: { verified: true, artifactsChecked: 4, bytesChecked: 4096, custodyEntries: 3, problems: [] },
  processCount: sampleProcesses.length,
  findingCount: sampleFindings.length,
};

/** Windows over any rows, answered by main's own query code so fakes cannot drift from it. */
export function windowsOf(rows: readonly ProcessRow[]): (query: ProcessWindowQuery) => ProcessWindow {
  // A record is the row's place in the capture, as main numbers them.
  const index = buildProcessIndex(rows.map((row, record) => ({ ...row, record })), []);
  const cache = createProcessQueryCache();
  return (query) => queryProcessWindow(index, cache, query);
}

/** Windows of the sample processes. */
export const sampleProcessWindow = windowsOf(sampleProcesses);

/** The detail of a process among `rows`, with one secret in its environment. */
export function detailOf(rows: readonly ProcessRow[], pid: number, revealSecrets: boolean, record?: number): Result<ProcessDetailRecord> {
  const position = record !== undefined && rows[record]?.pid === pid ? record : rows.findIndex((row) => row.pid === pid);
  const found = rows[position];
  const process = found === undefined ? undefined : { ...found, record: position };
  if (!process) return { ok: false, error: { code: 'NOT_FOUND', message: `There is no process ${pid}.`, hint: 'Pick another.' } };
  const ancestors: number[] = [];
  for (let parent = rows.find((row) => row.pid === process.ppid); parent; parent = rows.find((row) => row.pid === parent?.ppid)) {
    ancestors.unshift(parent.pid);
    if (ancestors.length > rows.length) break;
  }
  return {
    ok: true,
    value: {
      process,
      ancestors,
      childCount: rows.filter((row) => row.ppid === pid).length,
      cwd: text('/'),
      kernelThread: false,
      fields: [{ label: 'cgroup', value: text('0::/system.slice/ssh.service') }],
      executableMappings: pid === 1337 ? [{ range: '7f0000000000-7f0000001000', permissions: 'rwxp', name: text('[anon]') }] : null,
      environment: [
        { name: text('PATH'), value: text('/usr/bin'), redacted: false },
        { name: text('DB_PASSWORD'), value: text(revealSecrets ? 'hunter2' : '[redacted]'), redacted: !revealSecrets },
      ],
      secretsRevealed: revealSecrets,
      sockets: [],
      findings: sampleFindings.filter((finding) => finding.pids.includes(pid)),
      notCollected: ['open files', 'core dump'],
      artifacts: [],
    },
  };
}

/** The detail of a sample process. */
export function sampleProcessDetail(pid: number, revealSecrets: boolean, record?: number): Result<ProcessDetailRecord> {
  return detailOf(sampleProcesses, pid, revealSecrets, record);
}

/** Facts of the sample capture. */
export const sampleFacts: CaptureFacts = {
  users: ['root', 'www-data'],
  listeningCount: 1,
  socketCount: 2,
  processStarts: [{ start: '2026-11-26T10:00:00.000Z', end: '2026-11-26T10:01:00.000Z', count: 3 }],
  unknownStarts: 0,
  hasCgroups: true,
  metrics: [],
};
