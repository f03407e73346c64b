import type { ExperimentReport, TwinSummary } from '../../../../preload/api';

/** A live twin of `web` on host `app:1`, made at 12:00 UTC with a 30-minute lease. */
export function sampleTwin(change: Partial<TwinSummary> = {}): TwinSummary {
  return {
    hostId: 'app:1',
    twinId: 'twin-1',
    vmId: 'libvirt:web',
    vmName: 'web',
    state: 'live',
    createdAt: '2026-06-01T12:00:00.000Z',
    expiresAt: '2026-06-01T12:30:00.000Z',
    ttlSeconds: 1800,
    secondsLeft: 1800,
    autoRenew: true,
    forwards: [{ guestPort: 8080, guestAddress: '10.0.2.15', hostPort: 41234, localUrl: null }],
    leaseMechanism: 'systemd-scope',
    strategy: 'precopy',
    sourcePauseMs: 40,
    ...change,
  };
}

/** A tuning report: three values, 2048 recommended, 4096 failed. */
export const sampleTuningReport: ExperimentReport = {
  kind: 'tuning',
  service: 'nginx',
  configPath: '/etc/nginx/nginx.conf',
  parameter: 'worker_connections',
  originalValue: '512',
  repetitions: 5,
  load: { mode: 'closed', concurrency: 16, warmupSeconds: 2, durationSeconds: 5, source: { kind: 'paths', paths: ['/'] } },
  rows: [
    {
      value: '1024',
      status: 'ok',
      throughput: { median: 180.4, low: 175, high: 186 },
      p95Ms: { median: 14.2, low: 13.1, high: 15.6 },
      p99Ms: { median: 21, low: 19.5, high: 24 },
      errors: 0,
      requests: 4500,
      runs: [],
    },
    {
      value: '2048',
      status: 'ok',
      throughput: { median: 212, low: 205, high: 220 },
      p95Ms: { median: 11.5, low: 10.8, high: 12.4 },
      p99Ms: { median: 17, low: 16, high: 19 },
      errors: 3,
      requests: 5300,
      runs: [],
    },
    {
      value: '4096',
      status: 'failed',
      throughput: null,
      p95Ms: null,
      p99Ms: null,
      errors: 120,
      requests: 400,
      runs: [],
      failure: 'nginx: [emerg] worker_connections exceed open file resource limit: 1024',
    },
  ],
  recommended: { value: '2048', confidence: 'likely', reason: '2048 serves 18 % more requests than 1024 and its interval does not overlap.' },
  diff: '--- a/etc/nginx/nginx.conf\n+++ b/etc/nginx/nginx.conf\n@@ -3 +3 @@\n-    worker_connections 512;\n+    worker_connections 2048;\n',
  production: { aloneRps: 400, duringRps: 392 },
};

/** An agents report: sysstat with two series, node_exporter that failed. */
export const sampleAgentsReport: ExperimentReport = {
  kind: 'agents',
  agents: [
    {
      agent: 'guest',
      title: "The guest's own agent (sysstat)",
      series: [
        { name: 'cpu.user', unit: '%', points: [[1_780_000_000_000, 4], [1_780_000_002_000, 9], [1_780_000_004_000, 6]] },
        { name: 'memory.used', unit: 'MiB', points: [[1_780_000_000_000, 300], [1_780_000_002_000, 310]] },
      ],
    },
    { agent: 'node-exporter', title: 'node_exporter from the toolkit', series: [], error: 'node_exporter did not answer on 127.0.0.1:9100 within 10 s.' },
  ],
};
