import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBundle } from '../../../../main/bundle/bundle-reader';
import type { StoredProcess, StoredSocket, SystemDocument } from '../../../../main/bundle/bundle-schema';
import { detectAnomalies } from '../../../../main/detector/detect-anomalies';

const samplePath = join(__dirname, '../../../../resources/samples/sample.civic');
const at = '2026-01-01T00:00:00.000Z';

function process(overrides: Partial<StoredProcess> & { pid: number }): StoredProcess {
  return {
    ppid: 1,
    name: 'worker',
    user: 'root',
    uid: 0,
    state: 'S',
    exe: '/usr/bin/worker',
    exeDeleted: false,
    argv: ['worker'],
    environment: ['PATH=/usr/bin'],
    kernelThread: false,
    startedAt: at,
    threads: 1,
    rssKiB: 1000,
    cpuSeconds: 1,
    ...overrides,
  };
}

function listener(pid: number, port: number): StoredSocket {
  return { protocol: 'tcp', state: 'LISTEN', localAddress: '0.0.0.0', localPort: port, remoteAddress: null, remotePort: null, pid, inode: 100 + pid };
}

const clean: StoredProcess[] = [
  process({ pid: 1, ppid: 0, name: 'init', exe: '/sbin/init', argv: ['/sbin/init'] }),
  process({ pid: 2, ppid: 0, name: 'kthreadd', exe: null, argv: [], kernelThread: true }),
  process({ pid: 3, ppid: 2, name: 'kworker/0:1', exe: null, argv: [], kernelThread: true }),
  process({ pid: 10, name: 'httpd', exe: '/bin/busybox', argv: ['httpd', '-f'] }),
  process({ pid: 11, ppid: 10, name: 'status.cgi', exe: '/bin/busybox', argv: ['/www/cgi-bin/status.cgi'] }),
  process({ pid: 20, name: 'sh', exe: '/bin/busybox', argv: ['sh', '/etc/supervisor.sh'] }),
];

function system(overrides: { tainted?: number; preload?: string | null; modules?: SystemDocument['modules'] } = {}): SystemDocument {
  return {
    schemaVersion: 1,
    capturedAt: at,
    kernel: { banner: 'Linux version 6.1.0', release: '6.1.0', tainted: overrides.tainted ?? 0, taintFlags: [], uptimeSeconds: 10, bootedAt: at },
    modules: overrides.modules ?? [{ name: 'virtio_net', size: 1000, instances: 0, dependencies: [], state: 'Live', taints: '' }],
    mounts: [],
    ldSoPreload: { present: overrides.preload !== undefined && overrides.preload !== null, content: overrides.preload ?? null, truncated: false },
    logins: [],
    persistence: [],
    persistenceTruncated: false,
  };
}

describe('detectAnomalies', () => {
  it('finds nothing on a clean machine', () => {
    expect(detectAnomalies({ processes: clean, sockets: [listener(10, 80)], generatedAt: at }).findings).toEqual([]);
  });

  it('finds each planted oddity with the right rule and pid', () => {
    const compromised = [
      ...clean,
      process({ pid: 30, name: 'sh', exe: '/bin/busybox', ppid: 10, argv: ['sh', '-c', 'sleep 1000'] }),
      process({ pid: 31, name: 'updater', exe: '/usr/local/bin/updater', exeDeleted: true }),
      process({ pid: 32, name: 'miner', exe: '/tmp/.x/miner' }),
      process({ pid: 33, name: '[kworker/0:2]', exe: '/usr/libexec/kw', argv: ['[kworker/0:2]'] }),
      process({ pid: 34, name: 'sshd', environment: ['LD_PRELOAD=/lib/evil.so'] }),
      process({ pid: 35, name: 'python3', argv: ['python3', 'notes\u202Etxt.py'] }),
      process({ pid: 36, name: 'nc', exe: '/bin/busybox', argv: ['nc', '-l', '-p', '31337'] }),
    ];
    const found = detectAnomalies({ processes: compromised, sockets: [listener(10, 80), listener(36, 31337)], generatedAt: at }).findings;
    expect(found.map((finding) => [finding.rule, finding.pids])).toEqual([
      ['exe-in-temp-dir', [32]],
      ['exe-deleted', [31]],
      ['suspicious-listener-port', [36]],
      ['web-server-shell', [30]],
      ['fake-kernel-thread', [33]],
      ['ld-preload', [34]],
      ['bidi-control-in-argv', [35]],
    ]);
    expect(found.map((finding) => finding.id)).toEqual(['F-001', 'F-002', 'F-003', 'F-004', 'F-005', 'F-006', 'F-007']);
  });

  it('finds nothing in a clean system document, an empty or comment-only ld.so.preload, or a kernel only warned', () => {
    for (const document of [system(), system({ preload: '' }), system({ preload: '# nothing here\n\n' }), system({ tainted: 1 << 9 })]) {
      expect(detectAnomalies({ processes: clean, sockets: [], system: document, generatedAt: at }).findings).toEqual([]);
    }
  });

  it('flags a non-empty /etc/ld.so.preload as high and names the library', () => {
    const found = detectAnomalies({ processes: clean, sockets: [], system: system({ preload: '/lib/x86_64-linux-gnu/libsnoopy.so\n' }), generatedAt: at }).findings;
    expect(found.map((finding) => [finding.rule, finding.severity])).toEqual([['ld-so-preload', 'high']]);
    expect(found[0]?.detail).toContain('/lib/x86_64-linux-gnu/libsnoopy.so');
    expect(found[0]?.nextStep).not.toBe('');
  });

  it('flags an unsigned out-of-tree module as a medium kernel taint, decoding the flags and naming the module', () => {
    const modules = [
      { name: 'virtio_net', size: 1000, instances: 0, dependencies: [], state: 'Live', taints: '' },
      { name: 'diamorphine', size: 16384, instances: 0, dependencies: [], state: 'Live', taints: 'OE' },
    ];
    const found = detectAnomalies({ processes: clean, sockets: [], system: system({ tainted: (1 << 12) | (1 << 13), modules }), generatedAt: at }).findings;
    expect(found.map((finding) => [finding.rule, finding.severity])).toEqual([['kernel-tainted', 'medium']]);
    expect(found[0]?.detail).toContain('O externally built (out-of-tree) module loaded');
    expect(found[0]?.detail).toContain('E unsigned module loaded');
    expect(found[0]?.detail).toContain('diamorphine');
    expect(found[0]?.detail).not.toContain('virtio_net');
  });

  it('flags a forced module load', () => {
    const found = detectAnomalies({ processes: clean, sockets: [], system: system({ tainted: 1 << 1 }), generatedAt: at }).findings;
    expect(found.map((finding) => finding.rule)).toEqual(['kernel-tainted']);
  });

  it('reads names stored as bytes and survives parent cycles', () => {
    const processes = [
      process({ pid: 40, ppid: 41, name: { b64: Buffer.from('[kthr\xffead]', 'latin1').toString('base64') }, argv: [] }),
      process({ pid: 41, ppid: 40, name: 'loop' }),
    ];
    const found = detectAnomalies({ processes, sockets: [], generatedAt: at }).findings;
    expect(found.map((finding) => finding.rule)).toEqual(['fake-kernel-thread']);
  });

  it('reproduces the rules of the sample capture on its own processes and sockets', async () => {
    const bundle = await openBundle(samplePath);
    try {
      const processes = (await bundle.readDocument('processes')).processes;
      const sockets = (await bundle.readDocument('sockets')).sockets;
      const system = await bundle.readDocument('system');
      const recorded = (await bundle.readDocument('findings')).findings;
      const found = detectAnomalies({ processes, sockets, system, generatedAt: at }).findings;
      const rules = (list: ReadonlyArray<{ rule: string }>) => [...new Set(list.map((finding) => finding.rule))].sort();
      expect(rules(found)).toEqual(rules(recorded));
      for (const finding of recorded) {
        const pids = found.filter((candidate) => candidate.rule === finding.rule).flatMap((candidate) => candidate.pids);
        expect(pids).toEqual(expect.arrayContaining([finding.pids[0]!]));
      }
    } finally {
      await bundle.close();
    }
  });
});
