import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostDetails, HostForm, JobSnapshot, SecretPromptEvent, SessionStateEvent, WorkbenchError } from '../../../preload/api';
import { toWorkbenchError } from '../../../main/errors';
import { setLogSink } from '../../../main/logging/logger';
import { createWorkbenchServices, type WorkbenchServices } from '../../../main/services';
import { labVm, queryVmStatus, readLabInfo, type LabInfo } from '../../support/lab';

const run = promisify(execFile);

/** The lab host as root with the given key, no QMP folders. */
function hostForm(lab: LabInfo, identityFile: string): HostForm {
  return { alias: 'lab', hostName: lab.ssh.host, port: lab.ssh.port, user: 'root', identityFile, proxyJump: '', qmpDirs: [] };
}

/** Settles a promise into a value or an error value, so a test can look at a failure's code. */
async function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: WorkbenchError }> {
  try {
    return { value: await promise };
  } catch (caught) {
    return { error: toWorkbenchError(caught) };
  }
}

/** Waits for `step`, failing at once with the job's own error if the job ends first (e.g. VM_BUSY). */
function beforeEnd<T>(step: Promise<T>, done: Promise<unknown>): Promise<T> {
  return Promise.race([
    step,
    done.then(
      () => Promise.reject(new Error('the job ended before the awaited step')),
      (error: unknown) => Promise.reject(error),
    ),
  ]);
}

/** Resolves with the first job snapshot of `jobId` that `test` accepts. */
function waitForJob(snapshots: JobSnapshot[], listeners: Set<(job: JobSnapshot) => void>, jobId: () => string | undefined, test: (job: JobSnapshot) => boolean): Promise<JobSnapshot> {
  return new Promise((resolveWait) => {
    const seen = snapshots.find((job) => job.jobId === jobId() && test(job));
    if (seen) return resolveWait(seen);
    const listener = (job: JobSnapshot): void => {
      if (job.jobId === jobId() && test(job)) {
        listeners.delete(listener);
        resolveWait(job);
      }
    };
    listeners.add(listener);
  });
}

/** SIGKILLs the sshd processes serving the TCP connection from `clientPort`: the link drops as if cut. */
async function killSshdServing(labPort: number, clientPort: number): Promise<number[]> {
  const { stdout } = await run('ss', ['-Htnp', 'state', 'established', `( sport = :${labPort} and dport = :${clientPort} )`]);
  const pids = [...stdout.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1]));
  for (const pid of new Set(pids)) process.kill(pid, 'SIGKILL');
  return pids;
}

describe('hosts service against the lab: connect, deploy, probe, list, helper jobs', () => {
  let lab: LabInfo;
  let home: string;
  let services: WorkbenchServices;
  let host: HostDetails;
  let webRef: string;
  const sessionEvents: SessionStateEvent[] = [];
  const prompts: string[] = [];
  const snapshots: JobSnapshot[] = [];
  const jobListeners = new Set<(job: JobSnapshot) => void>();
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    lab = await readLabInfo();
    const web = labVm(lab, 'lab-web');
    webRef = `qmp:${web.qmpSocketPath ?? ''}`;
    home = await mkdtemp(join(tmpdir(), 'civic-hosts-home-'));
    services = createWorkbenchServices({
      appDataDir: join(home, 'app-data'),
      resourcesDir: resolve('resources'),
      transport: 'web',
      homeDir: home,
      hosts: {
        localUser: 'nobody-local',
        reconnect: { attempts: 0, baseDelayMs: 100, maxDelayMs: 100 },
        helperJob: { reattachAttempts: 20, reattachDelayMs: () => 250 },
      },
    });
    services.events.forward((name, payload) => {
      if (name === 'sessionState') sessionEvents.push(payload as SessionStateEvent);
      if (name === 'jobProgress') {
        const job = (payload as { job: JobSnapshot }).job;
        snapshots.push(job);
        for (const listener of [...jobListeners]) listener(job);
      }
      if (name === 'hostKeyPrompt') {
        const prompt = payload as { promptId: string; fingerprint: string; closed?: boolean };
        if (prompt.closed) return;
        prompts.push(prompt.fingerprint);
        void services.hosts.answerHostKey(prompt.promptId, true);
      }
    });
    host = await services.hosts.add({
      alias: 'lab',
      hostName: lab.ssh.host,
      port: lab.ssh.port,
      user: 'root',
      identityFile: lab.ssh.privateKeyPath,
      proxyJump: '',
      qmpDirs: [dirname(web.qmpSocketPath ?? '/')],
    });
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await services?.shutdown();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('connects after the host key is accepted and deploys the helper', async () => {
    await services.hosts.connect(host.id);
    expect(prompts).toEqual([expect.stringMatching(/^SHA256:/)]);
    expect(sessionEvents.filter((event) => event.hostId === host.id).map((event) => event.state)).toEqual(['connecting', 'connected']);
    cleanups.push(() => services.hosts.helper.remove(host.id));
  });

  it('probes the host and lists lab-web (QMP folder) and lab-db (libvirt) with their badges', async () => {
    const list = await services.hosts.listVms(host.id);
    expect(list.capabilities.accelerator).toMatch(/^(tcg|kvm)$/);
    expect(list.capabilities.strategies.length).toBeGreaterThan(0);
    expect(list.qmpDirs).toEqual([dirname(webRef.slice(4))]);
    const web = list.vms.find((vm) => vm.id === webRef);
    expect(web).toMatchObject({ kind: 'qmp', state: 'running', qgaChannel: true, cloneable: true, reasons: [] });
    const db = list.vms.find((vm) => vm.id === 'libvirt:lab-db');
    expect(db).toMatchObject({ kind: 'libvirt', state: 'running' });
    const probeJobs = snapshots.filter((job) => job.title === 'probe on lab' && job.state === 'succeeded');
    expect(probeJobs.length).toBeGreaterThan(0);
  });

  it('cancels a running clone: the helper rolls back, reports CANCELLED, and the source VM runs', async () => {
    // A cancel races the clone: on an idle guest the copy can finish before the TERM arrives, and
    // then the helper rightly returns its clone. Such a run is undone and the cancel tried again.
    let cancelled: { jobId: string; error: WorkbenchError } | undefined;
    for (let attempt = 0; attempt < 4 && !cancelled; attempt += 1) {
      // The id is known only once started; the waiter is set up first so no early event is missed.
      const current: { jobId?: string } = {};
      const firstProgress = waitForJob(snapshots, jobListeners, () => current.jobId, (job) => job.step === 'plan');
      const started = await services.hosts.startHelperJob(host.id, 'clone', { vm: webRef, strategy: 'precopy' });
      current.jobId = started.jobId;
      const plan = await beforeEnd(firstProgress, started.done);
      expect(plan.lastLine).toMatch(/precopy/i);
      expect(services.jobs.cancel(started.jobId)).toBe(true);
      const result = await outcome(started.done);
      if (result.error) {
        cancelled = { jobId: started.jobId, error: result.error };
      } else {
        const won = result.value as { cloneId: string };
        expect(snapshots.filter((job) => job.jobId === started.jobId).pop()?.state).toBe('succeeded');
        await (await services.hosts.startHelperJob(host.id, 'destroy', { cloneId: won.cloneId })).done;
      }
    }
    if (!cancelled) throw new Error('every cancel arrived after the clone was ready');
    expect(cancelled.error.code).toBe('CANCELLED');
    const final = snapshots.filter((job) => job.jobId === cancelled?.jobId).pop();
    expect(final?.state).toBe('cancelled');
    // The helper itself rolled back: its teardown steps arrived as progress, and its error is its own.
    const steps = snapshots.filter((job) => job.jobId === cancelled?.jobId).map((job) => job.step);
    expect(steps).toEqual(expect.arrayContaining(['plan']));
    expect(cancelled.error.message).toMatch(/signal SIGTERM/);
    expect(cancelled.error.subject).toBe(`root@${lab.ssh.host}:${lab.ssh.port}`);
    const status = await queryVmStatus(webRef.slice(4));
    expect(status).toBe('running');
  });

  it('re-attaches after the SSH connection is cut mid-job and gets the clone result', async () => {
    // The id is known only once started; the waiter is set up first so no early event is missed.
    const current: { jobId?: string } = {};
    const firstProgress = waitForJob(snapshots, jobListeners, () => current.jobId, (job) => job.step === 'plan');
    const started = await services.hosts.startHelperJob(host.id, 'clone', { vm: webRef, strategy: 'precopy' });
    current.jobId = started.jobId;
    await beforeEnd(firstProgress, started.done);
    const link = await services.hosts.ssh.run(host.id, ['sh', '-c', 'echo "$SSH_CONNECTION"']);
    const clientPort = Number(link.stdout.toString('utf8').trim().split(' ')[1]);
    expect(await killSshdServing(lab.ssh.port, clientPort)).not.toEqual([]);
    const result = await outcome(started.done);
    expect(result.error).toBeUndefined();
    const clone = result.value as { cloneId: string; strategy: string };
    expect(clone.cloneId).toMatch(/^cw-[0-9a-f]{12}$/);
    cleanups.push(async () => (await services.hosts.startHelperJob(host.id, 'destroy', { cloneId: clone.cloneId })).done);
    const lost = sessionEvents.find((event) => event.hostId === host.id && event.state === 'lost');
    expect(lost?.error?.code).toBe('CONNECTION_LOST');
    const steps = snapshots.filter((job) => job.jobId === started.jobId).map((job) => job.step);
    expect(steps).toContain('Connection lost; re-attaching');
    expect(steps).toContain('Re-attached');
    const destroyed = await (await services.hosts.startHelperJob(host.id, 'destroy', { cloneId: clone.cloneId })).done;
    expect(destroyed).toMatchObject({ cloneId: clone.cloneId, removed: true });
    cleanups.pop();
    expect(await queryVmStatus(webRef.slice(4))).toBe('running');
  });

  it('asks for a key passphrase through a secret prompt, and neither keeps nor logs the answer', async () => {
    const passphrase = `pass-${Date.now().toString(36)}-phrase`;
    const keyPath = join(home, 'encrypted_ed25519');
    await copyFile(lab.ssh.privateKeyPath, keyPath);
    await chmod(keyPath, 0o600);
    await run('ssh-keygen', ['-q', '-p', '-f', keyPath, '-P', '', '-N', passphrase]);
    const logged: string[] = [];
    setLogSink((line) => logged.push(line), 'debug');
    const asked: SecretPromptEvent[] = [];
    const detach = services.events.forward((name, payload) => {
      if (name !== 'secretPrompt') return;
      const prompt = payload as SecretPromptEvent;
      if (prompt.closed) return;
      asked.push(prompt);
      void services.hosts.answerSecret(prompt.promptId, passphrase);
    });
    try {
      const encrypted = await services.hosts.add({ ...hostForm(lab, keyPath), alias: 'lab-passphrase' });
      await services.hosts.connect(encrypted.id);
      expect(asked).toEqual([expect.objectContaining({ kind: 'passphrase', echo: false, target: `root@${lab.ssh.host}:${lab.ssh.port}` })]);
      await services.hosts.disconnect(encrypted.id);
    } finally {
      detach();
      setLogSink((line) => process.stderr.write(line + '\n'), 'info');
    }
    expect(logged.join('\n')).not.toContain(passphrase);
    for (const file of await readdir(join(home, 'app-data'))) {
      expect(await readFile(join(home, 'app-data', file), 'utf8')).not.toContain(passphrase);
    }
  });

  it('refuses a user whose sudo wants a password with SUDO_PASSWORD_REQUIRED', async () => {
    const analyst = await services.hosts.add({
      alias: 'lab-analyst',
      hostName: lab.ssh.host,
      port: lab.ssh.port,
      user: lab.ssh.analystUser,
      identityFile: lab.ssh.privateKeyPath,
      proxyJump: '',
      qmpDirs: [],
    });
    cleanups.push(() => services.hosts.helper.remove(analyst.id));
    const started = Date.now();
    const result = await outcome(services.hosts.test(analyst.id));
    const elapsedMs = Date.now() - started;
    expect(result.error?.code).toBe('SUDO_PASSWORD_REQUIRED');
    const list = await outcome(services.hosts.listVms(analyst.id));
    expect(list.error?.code).toBe('SUDO_PASSWORD_REQUIRED');
    console.log(`sudo refusal through the app: ${elapsedMs} ms (connect, deploy, sudo -n)`);
  });
});
