import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CaptureHelperVerb, CaptureHost } from '../../../../main/capture-session/capture-host';
import { WorkbenchFailure } from '../../../../main/errors';

/** A process as the collector writes it. */
export function storedProcess(pid: number, ppid: number, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pid,
    ppid,
    name,
    user: 'root',
    uid: 0,
    state: 'S',
    exe: `/usr/bin/${name}`,
    exeDeleted: false,
    argv: [name],
    kernelThread: false,
    startedAt: '2026-01-01T00:00:00Z',
    threads: 1,
    rssKiB: 100,
    cpuSeconds: 0.5,
    ...extra,
  };
}

/** Documents the fake helper "collects": a deleted-exe process and a listener, so the detector finds something. */
export function guestFiles(): Map<string, Buffer> {
  const processes = {
    schemaVersion: 1,
    capturedAt: '2026-01-01T00:00:10Z',
    processes: [storedProcess(1, 0, 'init'), storedProcess(200, 1, 'cache-sync', { exe: '/var/tmp/.cache-sync', exeDeleted: true })],
  };
  const sockets = {
    schemaVersion: 1,
    capturedAt: '2026-01-01T00:00:10Z',
    sockets: [{ protocol: 'tcp', state: 'LISTEN', localAddress: '0.0.0.0', localPort: 31337, remoteAddress: null, remotePort: null, pid: 200, inode: 7 }],
  };
  return new Map([
    ['artifacts/processes.json', Buffer.from(JSON.stringify(processes))],
    ['artifacts/sockets.json', Buffer.from(JSON.stringify(sockets))],
    ['artifacts/memory.elf', Buffer.from('\x7fELF fake memory')],
  ]);
}

const roles: Record<string, { role: string; mediaType: string; step: string }> = {
  'artifacts/processes.json': { role: 'processes', mediaType: 'application/json', step: 'processes' },
  'artifacts/sockets.json': { role: 'sockets', mediaType: 'application/json', step: 'sockets' },
  'artifacts/memory.elf': { role: 'memory-dump', mediaType: 'application/x-elf', step: 'memory-dump' },
};

/** What the fake host saw. */
export interface FakeHostLog {
  readonly verbs: CaptureHelperVerb[];
  readonly args: Record<string, Readonly<Record<string, unknown>>>;
  uploads: number;
  kept: string[];
}

/** Options of the fake host. */
export interface FakeHostOptions {
  readonly qgaChannel?: boolean;
  /** Serves different bytes than the helper hashed for this path. */
  readonly corrupt?: string;
  /** Waits in `collect` until the signal aborts. */
  readonly hangInCollect?: boolean;
  /** Per-process failures the fake helper reports from `collect`. */
  readonly collectFailed?: readonly { readonly step: string; readonly pid: number | null; readonly code: string; readonly message: string }[];
}

/** A capture host that plays the helper's part from memory. */
export function fakeCaptureHost(options: FakeHostOptions = {}): { host: CaptureHost; log: FakeHostLog; files: Map<string, Buffer> } {
  const files = guestFiles();
  const log: FakeHostLog = { verbs: [], args: {}, uploads: 0, kept: [] };
  const sessionDir = '/root/.cache/civic-workbench/sessions/cw-0123456789ab';
  const host: CaptureHost = {
    connect: async () => undefined,
    facts: async () => ({ label: 'root@127.0.0.1:22', name: 'lab', hostKeySha256: `SHA256:${'A'.repeat(43)}` }),
    // The app has listed nothing: the pipeline runs `list` itself.
    listedVm: async () => null,
    deployHelper: async () => '0.1.0',
    async runHelper(_hostId, verb, args, context) {
      log.verbs.push(verb);
      log.args[verb] = args;
      const command = { argv: ['python3', 'civic-helper', verb], exitCode: 0, startedAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:00:01Z' };
      switch (verb) {
        case 'list':
          return {
            payload: { vms: [{ id: 'qmp:/run/web.sock', name: 'web', uuid: null, state: 'running', qgaChannel: options.qgaChannel ?? true, cloneable: true, reasons: [] }] },
            command,
          };
        case 'clone':
          context.progress(0.05, 'plan', 'Cloning with precopy; pause budget 300 ms');
          return { payload: { cloneId: 'cw-0123456789ab', strategy: 'precopy', sessionDir }, command };
        case 'collect': {
          if (options.hangInCollect) {
            await new Promise((_resolve, reject) => context.signal.addEventListener('abort', () => reject(new WorkbenchFailure('CANCELLED', 'Cancelled.')), { once: true }));
          }
          const steps = (args['steps'] as { id: string }[]).map((step) => step.id);
          const artifacts = [...files.entries()]
            .filter(([path]) => steps.includes(roles[path]?.step ?? ''))
            .map(([path, bytes]) => ({ path, ...roles[path], size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), pid: null }));
          return {
            payload: {
              cloneId: 'cw-0123456789ab',
              access: args['access'],
              sessionDir,
              artifacts,
              skipped: [],
              failed: options.collectFailed ?? [],
              commands: [{ argv: ['/run/civic/bin/civic-collect', 'processes'], exitCode: 0, startedAt: 1767225600, endedAt: '2026-01-01T00:00:02Z' }],
              toolkit: null,
              guest: { kernel: 'Linux version 6.1', qgaVersion: '7.2.22' },
            },
            command,
          };
        }
        case 'destroy':
          return { payload: { cloneId: 'cw-0123456789ab', reason: 'destroy', actions: [], removed: true }, command };
      }
    },
    async uploadToolkit() {
      log.uploads += 1;
      return { remoteDir: '/root/.cache/civic-workbench/toolkit/abc', uploaded: 3, files: [] };
    },
    async download(_hostId, remotePath, localPath, expected) {
      const path = remotePath.slice(sessionDir.length + 1);
      let bytes = files.get(path);
      if (bytes === undefined) throw new WorkbenchFailure('BUNDLE_ARTIFACT_MISSING', `${path} missing`);
      if (path === options.corrupt) bytes = Buffer.concat([bytes.subarray(0, -1), Buffer.from('!')]);
      await mkdir(dirname(localPath), { recursive: true });
      await writeFile(localPath, bytes);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (sha256 !== expected.sha256) throw new WorkbenchFailure('BUNDLE_HASH_MISMATCH', `${path} hash differs`);
    },
    freePort: async () => 40022,
    async openGuest() {
      throw new WorkbenchFailure('CONNECTION_REFUSED', 'The fake host has no clone sshd.');
    },
    async keep(_hostId, _sessionDir, paths, name) {
      log.kept.push(...paths);
      return join('/root/.cache/civic-workbench/kept', name);
    },
  };
  return { host, log, files };
}
