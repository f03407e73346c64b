import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBundle } from '../../../../main/bundle/bundle-reader';
import type { ProcessesDocument, SocketsDocument } from '../../../../main/bundle/bundle-schema';
import { packBundle } from '../../../../main/bundle/pack-bundle';
import { writeSampleBundle } from '../../../../test/support/samples/sample-capture';
import { SAMPLE_ARCHIVE, createWorkspace, type Workspace } from '../bundle/support/bundle-copies';

const repository = resolve(__dirname, '../../../..');
let workspace: Workspace;
let processes: ProcessesDocument['processes'];
let sockets: SocketsDocument['sockets'];

// The synthetic sample, packed by its generator (unit fixtures); the app ships a lab-made sample (make-lab-sample.ts).
let syntheticArchive: string;

beforeAll(async () => {
  workspace = await createWorkspace();
  await writeSampleBundle(join(workspace.root, 'synthetic'));
  syntheticArchive = join(workspace.root, 'synthetic.civic');
  await packBundle(join(workspace.root, 'synthetic'), syntheticArchive);
  const bundle = await openBundle(syntheticArchive);
  processes = (await bundle.readDocument('processes')).processes;
  sockets = (await bundle.readDocument('sockets')).sockets;
  await bundle.close();
});
afterAll(async () => {
  await workspace.cleanup();
});

describe('the shipped sample capture', () => {
  it('verifies, with processes and findings, and stays small', async () => {
    expect((await readFile(SAMPLE_ARCHIVE)).length).toBeLessThan(2 * 1024 * 1024);
    const bundle = await openBundle(SAMPLE_ARCHIVE);
    try {
      expect(bundle.integrity).toMatchObject({ verified: true, problems: [] });
      expect((await bundle.readDocument('processes')).processes.length).toBeGreaterThan(10);
      expect((await bundle.readDocument('findings')).findings.length).toBeGreaterThan(0);
    } finally {
      await bundle.close();
    }
  });
});

describe('the synthetic sample generator', () => {
  it('writes the same archive byte for byte on every run', async () => {
    const output = join(workspace.root, 'regenerated.civic');
    execFileSync(process.execPath, [join(repository, 'node_modules/tsx/dist/cli.mjs'), 'test/support/samples/make-sample.ts', output], {
      cwd: repository,
      stdio: 'pipe',
    });
    expect((await readFile(output)).equals(await readFile(syntheticArchive))).toBe(true);
  }, 60_000);

  it('has about 150 processes in one proper tree', () => {
    expect(processes.length).toBe(150);
    const pids = new Set(processes.map((process) => process.pid));
    expect(pids.size).toBe(processes.length);
    expect(processes.filter((process) => process.ppid !== 0 && !pids.has(process.ppid))).toEqual([]);
    expect(processes.filter((process) => process.kernelThread && process.pid !== 2).every((process) => process.ppid === 2)).toBe(true);
    expect(processes.filter((process) => process.threads > 1).length).toBeGreaterThanOrEqual(5);
  });

  it('has a shell four deep under sshd and a shell under the web server', () => {
    const byPid = new Map(processes.map((process) => [process.pid, process]));
    const shellDepth = (pid: number): number => {
      let depth = 0;
      for (let current = byPid.get(pid); current; current = byPid.get(current.ppid)) if (current.name === 'bash') depth += 1;
      return depth;
    };
    expect(Math.max(...processes.map((process) => shellDepth(process.pid)))).toBeGreaterThanOrEqual(4);
    const webShell = processes.find((process) => process.name === 'sh' && byPid.get(process.ppid)?.name === 'fcgiwrap');
    expect(webShell).toBeDefined();
  });

  it('has listening and established sockets, including the planted 31337 listener', () => {
    expect(sockets.some((socket) => socket.state === 'ESTABLISHED')).toBe(true);
    expect(sockets.filter((socket) => socket.state === 'LISTEN').map((socket) => socket.localPort)).toEqual(expect.arrayContaining([22, 80, 5432, 31337]));
  });

  it('holds hostile strings in every stored form', () => {
    const argv = processes.flatMap((process) => process.argv);
    expect(argv.some((argument) => typeof argument === 'string' && argument.includes('\u001b['))).toBe(true);
    expect(argv.some((argument) => typeof argument === 'string' && argument.includes('\u202e'))).toBe(true);
    expect(argv.some((argument) => typeof argument === 'object')).toBe(true);
  });
});
