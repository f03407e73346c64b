import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureOutcome } from '../../../preload/api';
import { openBundle } from '../../../main/bundle/bundle-reader';
import type { StoredProcess } from '../../../main/bundle/bundle-schema';
import { collectCommand } from '../../../main/cli/commands/collect-command';
import { forwardedPort, labVm, queryVmStatus, readLabInfo, runInGuest, withQmp, type LabInfo, type LabVmInfo } from '../../support/lab';
import { labCaptureServices, type LabCaptureServices } from './capture-lab-services';

const run = promisify(execFile);

/** The pids of the long-lived workload in a guest, from its own /proc (the production VM, not the clone). */
async function workloadPids(vm: LabVmInfo): Promise<string> {
  const result = await runInGuest(vm, 'for name in civic-worker civic-daemon httpd supervisor.sh; do echo "$name $(pidof $name | tr " " "\\n" | sort -n | tr "\\n" " ")"; done');
  return result.stdout;
}

/** The QEMU of one clone, if it still runs on this machine (the lab host is this machine; other clones may be other tests'). */
async function cloneQemus(cloneId: string): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pid,args']).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter((line) => line.includes(`guest=civic-clone-${cloneId}`));
}

/** Bytes of one entry of a .civic (ZIP) file. */
function zipEntry(path: string, name: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error('no zip'));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== name) return zip.readEntry();
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            zip.close();
            resolve(Buffer.concat(chunks));
          });
        });
      });
      zip.on('end', () => reject(new Error(`${name} not in ${path}`)));
      zip.readEntry();
    });
  });
}

describe('capture of lab VMs through the real SSH + helper + toolkit stack', () => {
  let lab: LabInfo;
  let web: LabVmInfo;
  let env: LabCaptureServices;
  let scratch: string;

  beforeAll(async () => {
    lab = await readLabInfo();
    web = labVm(lab, 'lab-web');
    env = await labCaptureServices(lab);
    scratch = await mkdtemp(join(tmpdir(), 'civic-capture-scratch-'));
    await env.services.hosts.connect(env.host.id);
  });

  afterAll(async () => {
    await env?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('captures lab-web: workload, sockets and findings, gdb threads, an ELF core and memory, 40 MB past the agent cap, all verified; production keeps running', async () => {
    const before = await workloadPids(web);
    const workerPid = Number((await runInGuest(web, 'pidof civic-worker')).stdout.trim().split(/\s+/)[0]);
    expect(workerPid).toBeGreaterThan(1);
    const webPort = forwardedPort(web, 80);
    const statuses: string[] = [];
    const pages: number[] = [];

    const { jobId } = await env.services.capture.start({
      hostId: env.host.id,
      vmId: `qmp:${web.qmpSocketPath ?? ''}`,
      steps: [
        { id: 'processes' },
        { id: 'sockets' },
        { id: 'system' },
        { id: 'kernel-symbols' },
        { id: 'backtraces', pids: [workerPid] },
        { id: 'core-dump', pids: [workerPid] },
        // 40 MB of output: more than qemu-ga's 16 MB guest-exec cap, so it must move by guest-file-read.
        { id: 'command', name: 'big', argv: ['/run/civic/bin/busybox', 'head', '-c', '41943040', '/dev/urandom'], seconds: 120 },
        { id: 'memory-dump' },
      ],
      access: 'auto',
      caseDir: env.caseDir,
    });
    // Production is sampled all along through its web server, and through QMP while the helper works
    // only on the clone (collect and download), when the source's one QMP client slot is free.
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const response = await fetch(`http://127.0.0.1:${webPort}/cgi-bin/status.cgi`).catch(() => null);
        pages.push(response?.status ?? 0);
        await response?.text().catch(() => undefined);
        const job = env.jobs.filter((snapshot) => snapshot.jobId === jobId).at(-1);
        if (job !== undefined && job.value > 0.4 && job.value < 0.85 && web.qmpSocketPath) statuses.push(await queryVmStatus(web.qmpSocketPath).catch(() => 'busy'));
        await new Promise((resolve) => setTimeout(resolve, 500)); // sampling interval, not a wait for an event
      }
    })();
    let outcome: CaptureOutcome;
    try {
      outcome = await env.services.capture.wait(jobId);
    } finally {
      sampling = false;
      await sampler;
    }

    expect(outcome.verified).toBe(true);
    expect(outcome.access).toBe('qga');
    expect(outcome.failed).toEqual([]);
    expect(['background-snapshot', 'precopy']).toContain(outcome.strategy);
    const steps = env.jobs.filter((job) => job.jobId === jobId).map((job) => job.step);
    expect(steps).toContain('Way in: qemu-guest-agent');
    expect(steps.some((step) => step.startsWith('Collecting (backtraces)'))).toBe(true);

    // Production kept running and its workload is the same processes.
    expect(pages.length).toBeGreaterThan(2);
    expect(pages.every((status) => status === 200)).toBe(true);
    expect(statuses.filter((status) => status !== 'busy').every((status) => status === 'running')).toBe(true);
    expect(await queryVmStatus(web.qmpSocketPath ?? '')).toBe('running');
    expect(await workloadPids(web)).toBe(before);
    expect((await runInGuest(web, 'grep -c civic-toolkit /proc/mounts || true')).stdout.trim()).toBe('0');

    // The clone, its overlays and sockets are gone; the source's disk chain is back to one node per disk.
    expect(await cloneQemus(outcome.cloneId)).toEqual([]);
    const nodes = await withQmp(web.qmpSocketPath ?? '', (qmp) => qmp.execute('query-named-block-nodes'));
    expect(JSON.stringify(nodes)).not.toMatch(/civic-/);
    // Only this lab's VM counts: a host may hold clones of other VMs made by other users or runs.
    const gc = await env.services.hosts.startHelperJob(env.host.id, 'gc', {});
    const { sessions } = (await gc.done) as { sessions: Array<{ cloneId: string; vm: { target: string } }> };
    expect(sessions.filter((session) => session.vm.target === web.qmpSocketPath || session.cloneId === outcome.cloneId)).toEqual([]);

    // The capture: integrity, custody, and what lab-web runs.
    const bundle = await openBundle(outcome.bundlePath);
    try {
      expect(bundle.integrity).toMatchObject({ verified: true, problems: [] });
      expect(bundle.custody.map((entry) => entry.action)).toEqual(
        expect.arrayContaining(['seal-manifest', 'collected-by', 'downloaded', 'verified']),
      );
      expect(bundle.manifest.host.hostKeySha256).toMatch(/^SHA256:/);
      expect(bundle.manifest.cloneId).toBe(outcome.cloneId);
      expect(bundle.manifest.commands.some((command) => command.argv.includes('collect'))).toBe(true);
      expect(bundle.manifest.commands.some((command) => command.argv.some((arg) => arg.includes('civic-collect')))).toBe(true);
      const roles = new Set(bundle.manifest.artifacts.map((artifact) => artifact.role));
      for (const role of ['processes', 'sockets', 'system', 'findings', 'kernel-symbols', 'backtraces', 'core-dump', 'command-output', 'memory-dump', 'other']) {
        expect(roles).toContain(role);
      }

      const { processes } = await bundle.readDocument('processes');
      const byPid = new Map(processes.map((process) => [process.pid, process]));
      const named = (name: string): StoredProcess[] => processes.filter((process) => process.name === name);
      expect(named('civic-worker')[0]).toMatchObject({ pid: workerPid, threads: 5 });
      expect(named('civic-daemon').length).toBeGreaterThanOrEqual(2);
      expect(named('httpd').length).toBeGreaterThanOrEqual(1);
      // init -> supervisor.sh -> sh tier2 -> sh tier3 -> sleep: the parent links hold four levels down.
      const sleeper = processes.find((process) => process.name === 'sleep' && [...ancestry(process, byPid)].some((ancestor) => ancestor.name === 'supervisor.sh'));
      expect(sleeper).toBeDefined();
      const chain = [...ancestry(sleeper as StoredProcess, byPid)].map((process) => process.pid);
      expect(chain.at(-1)).toBe(1);
      expect(chain.length).toBeGreaterThanOrEqual(4);

      const { sockets } = await bundle.readDocument('sockets');
      const listening = new Set(sockets.filter((socket) => socket.state === 'LISTEN').map((socket) => socket.localPort));
      for (const port of [80, 7070, 31337]) expect(listening).toContain(port);
      const { findings } = await bundle.readDocument('findings');
      const rules = new Set(findings.map((finding) => finding.rule));
      for (const rule of ['exe-deleted', 'exe-in-temp-dir', 'suspicious-listener-port', 'ld-preload', 'fake-kernel-thread']) expect(rules).toContain(rule);
      expect(outcome.findingCount).toBe(findings.length);
    } finally {
      await bundle.close();
    }

    const backtrace = (await zipEntry(outcome.bundlePath, `artifacts/backtraces/${workerPid}.txt`)).toString('utf8');
    expect(backtrace.match(/^Thread \d+ /gm)?.length).toBe(5);
    const core = join(scratch, 'core');
    await writeFile(core, await zipEntry(outcome.bundlePath, `artifacts/cores/core.${workerPid}`));
    expect((await run('readelf', ['-h', core])).stdout).toMatch(/Type:\s+CORE/);
    const memory = join(scratch, 'memory.elf');
    await writeFile(memory, await zipEntry(outcome.bundlePath, 'artifacts/memory.elf'));
    const segments = (await run('readelf', ['-lW', memory], { maxBuffer: 16 * 1024 * 1024 })).stdout;
    const loadBytes = [...segments.matchAll(/^\s+LOAD\s+\S+\s+\S+\s+\S+\s+(0x[0-9a-f]+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    expect(loadBytes).toBeGreaterThanOrEqual(256 * 1024 * 1024 - 16 * 1024 * 1024);
    expect((await run('readelf', ['-nW', memory], { maxBuffer: 16 * 1024 * 1024 })).stdout).toMatch(/QEMU/);
    const big = outcome.artifacts.find((artifact) => artifact.path === 'artifacts/commands/big.stdout');
    expect(big?.size).toBe(41_943_040);

    // One flipped byte in an artifact is caught.
    const forged = join(scratch, 'forged.civic');
    await copyFile(outcome.bundlePath, forged);
    const bytes = await readFile(forged);
    const at = bytes.indexOf(Buffer.from('civic-worker'));
    expect(at).toBeGreaterThan(0);
    bytes[at] = 'C'.charCodeAt(0);
    await writeFile(forged, bytes);
    const reopened = await openBundle(forged).catch((error: unknown) => error);
    if (reopened instanceof Error) expect(reopened).toMatchObject({ code: expect.stringMatching(/^BUNDLE_/) });
    else {
      await (reopened as Awaited<ReturnType<typeof openBundle>>).close();
      expect((reopened as Awaited<ReturnType<typeof openBundle>>).integrity.verified).toBe(false);
    }
    // The heaviest capture of the tier (gdb, a core, the memory dump, 40 MB) in a clone that runs at
    // nice 10 under TCG: on two busy cores it has taken over 300 s, so it gets its own limit.
  }, 900_000);

  it('lab-ssh (no guest agent): the memory dump only, with every skipped step named, through `civic collect`', async () => {
    const ssh = labVm(lab, 'lab-ssh');
    const out: string[] = [];
    const err: string[] = [];
    const code = await collectCommand(
      ['lab', `qmp:${ssh.qmpSocketPath ?? ''}`, '--steps', 'processes,sockets,memory-dump', '--out', join(env.home, 'cli-cases')],
      { out: (text) => out.push(text), err: (text) => err.push(text) },
      { appDataDir: join(env.home, 'app-data'), homeDir: env.home, resourcesDir: join(process.cwd(), 'resources'), readSecret: async () => null },
    );
    expect(err.join('')).toContain('Skipped    processes: The clone has no guest agent to run it with, and no guest login was given for SSH.');
    expect(code).toBe(0);
    const path = out.join('').trim();
    expect(path).toMatch(/\.civic$/);
    const bundle = await openBundle(path);
    await bundle.close();
    expect(bundle.integrity.verified).toBe(true);
    expect(bundle.manifest.artifacts.map((artifact) => artifact.role)).toEqual(['memory-dump']);
    expect(await queryVmStatus(ssh.qmpSocketPath ?? '')).toBe('running');
    const cloneId = /clone (cw-[0-9a-f]{12})/.exec(err.join(''))?.[1];
    expect(cloneId).toBeDefined();
    expect(await cloneQemus(cloneId ?? '')).toEqual([]);
  });
});

describe('SSH into a clone of lab-ssh (no guest agent)', () => {
  let lab: LabInfo;
  let env: LabCaptureServices;

  beforeAll(async () => {
    lab = await readLabInfo();
    env = await labCaptureServices(lab);
    await env.services.hosts.connect(env.host.id);
  });

  afterAll(async () => {
    await env?.close();
  });

  it('shows the clone host key first, then collects over SSH with the toolkit, and the production VM runs on', async () => {
    const vm = labVm(lab, 'lab-ssh');
    const guestPort = forwardedPort(vm, 22);
    const line = (await readFile(lab.ssh.knownHostsPath, 'utf8')).split('\n').find((entry) => entry.startsWith(`[127.0.0.1]:${guestPort} `)) ?? '';
    const fingerprint = `SHA256:${createHash('sha256').update(Buffer.from(line.split(/\s+/)[2] ?? '', 'base64')).digest('base64').replace(/=+$/, '')}`;
    const { stdout: workerText } = await run('ssh', ['-F', lab.ssh.sshConfigPath, 'civic-lab-guest', 'pidof civic-worker']);
    const worker = Number(workerText.trim().split(/\s+/)[0]);
    const request = {
      hostId: env.host.id,
      vmId: `qmp:${vm.qmpSocketPath ?? ''}`,
      steps: [{ id: 'processes' as const }, { id: 'sockets' as const }, { id: 'system' as const }, { id: 'backtraces' as const, pids: [worker] }, { id: 'metrics' as const }],
      access: 'auto' as const,
      caseDir: env.caseDir,
    };

    // Without an accepted key the login stops and names the key the clone offers (the VM's own).
    const first = await env.services.capture.start({ ...request, guestLogin: { user: 'root', identityFile: lab.ssh.privateKeyPath } });
    await expect(env.services.capture.wait(first.jobId)).rejects.toMatchObject({ code: 'HOST_KEY_UNKNOWN', message: expect.stringContaining(fingerprint) });

    const { jobId } = await env.services.capture.start({ ...request, guestLogin: { user: 'root', identityFile: lab.ssh.privateKeyPath, hostKeySha256: fingerprint } });
    const outcome = await env.services.capture.wait(jobId);
    expect(outcome).toMatchObject({ access: 'ssh', verified: true, failed: [] });
    expect(outcome.skipped.map((skip) => skip.step)).toEqual(['metrics']);
    expect(env.jobs.filter((job) => job.jobId === jobId).map((job) => job.step)).toContain('Way in: SSH into the clone');
    const bundle = await openBundle(outcome.bundlePath);
    try {
      expect(bundle.integrity.verified).toBe(true);
      const { processes } = await bundle.readDocument('processes');
      expect(processes.find((process) => process.pid === worker)).toMatchObject({ name: 'civic-worker', threads: 5 });
      expect(processes.some((process) => process.name === 'sshd')).toBe(true);
      const listening = (await bundle.readDocument('sockets')).sockets.filter((socket) => socket.state === 'LISTEN').map((socket) => socket.localPort);
      expect(listening).toEqual(expect.arrayContaining([22, 80, 7070]));
      expect(bundle.manifest.commands.some((command) => command.argv[0] === '/run/civic/bin/civic-collect')).toBe(true);
    } finally {
      await bundle.close();
    }
    const backtrace = (await zipEntry(outcome.bundlePath, `artifacts/backtraces/${worker}.txt`)).toString('utf8');
    expect(backtrace.match(/^Thread \d+ /gm)?.length).toBe(5);
    expect(await queryVmStatus(vm.qmpSocketPath ?? '')).toBe('running');
    expect(await cloneQemus(outcome.cloneId)).toEqual([]);
    // The toolkit never touched production: its sshd answers and /run/civic is not mounted there.
    const { stdout: mounts } = await run('ssh', ['-F', lab.ssh.sshConfigPath, 'civic-lab-guest', 'cat /proc/mounts']);
    expect(mounts).not.toContain('civic-toolkit');
  });
});

/** A process's ancestors, parent first, up to pid 1 (or the first pid the capture does not have). */
function* ancestry(process: StoredProcess, byPid: ReadonlyMap<number, StoredProcess>): Generator<StoredProcess> {
  let current = byPid.get(process.ppid);
  for (let depth = 0; current !== undefined && depth < 64; depth += 1) {
    yield current;
    if (current.pid === 1) return;
    current = byPid.get(current.ppid);
  }
}
