import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostDetails, HostNoticeEvent, JobSnapshot } from '../../../preload/api';
import { helperArgv } from '../../../main/helper-client/helper-job';
import { parseGcPayload } from '../../../main/helper-client/helper-payloads';
import { createWorkbenchServices, type WorkbenchServices } from '../../../main/services';
import { cleanupAll, generateKey, makeTempDir, startSshd, type RunningSshd } from '../../support/sshd';

const run = promisify(execFile);

/** Resolves once something listens on the unix socket (QEMU's QMP, `server=on,wait=off`). */
async function waitForSocket(path: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`QEMU exited with ${child.exitCode} before its QMP socket listened`);
    const listening = await new Promise<boolean>((done) => {
      const probe = connect(path, () => {
        probe.destroy();
        done(true);
      });
      probe.on('error', () => done(false));
    });
    if (listening) return;
    await new Promise((wait) => setTimeout(wait, 100));
  }
}

/** One QMP command on a fresh connection: the status of the source VM. */
async function qmpStatus(path: string): Promise<string> {
  const { stdout } = await run('python3', [
    '-c',
    'import sys; sys.path.insert(0, "resources/helper"); from civic_helper.qmp import QmpClient\nwith QmpClient(sys.argv[1], timeout=10) as c: print(c.execute("query-status")["status"])',
    path,
  ]);
  return stdout.trim();
}

// The same promise as recover-on-connect-lab.test.ts for a bare QEMU VM (QMP folder), on a real sshd and
// a real QEMU of its own, so it does not need the shared lab: a precopy clone whose helper and pause
// watchdog are SIGKILLed together inside the source pause leaves the source paused; the next connect
// recovers it by itself and says so.
describe('recover on connect, bare QEMU over a real sshd', () => {
  let dir: string;
  let sshd: RunningSshd;
  let qemu: ChildProcess;
  let socket: string;
  let services: WorkbenchServices;
  let host: HostDetails;
  let helperDir: string;
  let cloneId = '';
  const notices: HostNoticeEvent[] = [];
  const jobs = new Map<string, JobSnapshot>();

  const runHelper = async (verb: 'gc' | 'recover', args: Record<string, unknown> = {}): Promise<unknown> => {
    const result = await services.hosts.ssh.runPrivileged(host.id, helperArgv(helperDir, { verb, args, qmpDirs: [join(dir, 'qmp')] }), { maxOutputBytes: 1 << 20 });
    return (JSON.parse(result.stdout.toString('utf8').trim().split('\n').pop() ?? '') as { payload: unknown }).payload;
  };

  beforeAll(async () => {
    dir = await makeTempDir('cwt-recover-qmp-');
    await mkdir(join(dir, 'qmp'));
    await mkdir(join(dir, '.ssh'));
    socket = join(dir, 'qmp', 'src01.qmp');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'src01.qcow2'), '64M']);
    qemu = spawn(
      'qemu-system-x86_64',
      ['-accel', 'tcg', '-machine', 'pc-q35-7.2', '-m', '128', '-display', 'none', '-nodefaults', '-name', 'guest=cwt-src01',
        '-qmp', `unix:${socket},server=on,wait=off`, '-drive', `file=${join(dir, 'src01.qcow2')},if=virtio,format=qcow2,cache=writeback`,
        '-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0'],
      { stdio: 'ignore' },
    );
    await waitForSocket(socket, qemu);
    const publicKey = await generateKey(join(dir, '.ssh', 'id_ed25519'));
    sshd = await startSshd({ authorizedKeys: [publicKey] });
    services = createWorkbenchServices({
      appDataDir: join(dir, 'app-data'),
      resourcesDir: resolve('resources'),
      transport: 'web',
      homeDir: dir,
      hosts: { localUser: 'nobody-local', reconnect: { attempts: 0, baseDelayMs: 100, maxDelayMs: 100 } },
    });
    services.events.forward((name, payload) => {
      if (name === 'hostNotice') notices.push(payload as HostNoticeEvent);
      if (name === 'jobProgress') jobs.set((payload as { job: JobSnapshot }).job.jobId, (payload as { job: JobSnapshot }).job);
      if (name === 'hostKeyPrompt' && !(payload as { closed?: boolean }).closed) void services.hosts.answerHostKey((payload as { promptId: string }).promptId, true);
    });
    host = await services.hosts.add({ alias: 'kvm-test', hostName: '127.0.0.1', port: sshd.port, user: 'root', identityFile: join(dir, '.ssh', 'id_ed25519'), proxyJump: '', qmpDirs: [join(dir, 'qmp')] });
    await services.hosts.connect(host.id);
    await services.hosts.interruptedSessionsChecked(host.id);
    helperDir = (await services.hosts.helper.deploy(host.id)).remoteDir;
  });

  afterAll(() =>
    cleanupAll([
      async () => {
        if (services && helperDir && cloneId !== '') await runHelper('recover', { cloneId }).catch(() => undefined);
      },
      () => services?.shutdown(),
      () => sshd?.stop(),
      () => qemu?.kill('SIGKILL'),
      () => (dir ? rm(dir, { recursive: true, force: true }) : undefined),
    ]),
  );

  it('leaves the source paused when helper and watchdog are killed together inside the pause', async () => {
    expect(await qmpStatus(socket)).toBe('running');
    await services.hosts.ssh.runPrivileged(
      host.id,
      ['env', 'CIVIC_HELPER_FAULT=source-snapshot:kill-both', ...helperArgv(helperDir, { verb: 'clone', args: { vm: `qmp:${socket}`, strategy: 'precopy' }, qmpDirs: [join(dir, 'qmp')] })],
      { maxOutputBytes: 1 << 20, signal: AbortSignal.timeout(240_000) },
    );
    expect(await qmpStatus(socket)).not.toBe('running');
    const sessions = parseGcPayload(await runHelper('gc'), 'kvm-test').filter((session) => session.vm?.target === socket);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ helperActive: false, action: 'needs-recover' });
    cloneId = sessions[0]?.cloneId ?? '';
  });

  it('recovers it at the next connect by itself and says what it did', async () => {
    expect(cloneId).not.toBe('');
    await services.hosts.disconnect(host.id);
    notices.length = 0;
    await services.hosts.connect(host.id);
    const notice = await services.hosts.interruptedSessionsChecked(host.id);
    expect(notices).toEqual([notice]);
    expect(notice).toMatchObject({ hostId: host.id, tone: 'info' });
    expect(notice?.text).toMatch(/^Recovered 1 interrupted clone of src01: (.+, )?migration cancelled(, .+)?; src01 is running\.$/);
    expect(jobs.get(notice?.jobIds[0] ?? '')).toMatchObject({ state: 'succeeded', title: `Recover interrupted clone ${cloneId} on kvm-test` });
    expect(await qmpStatus(socket)).toBe('running');
    expect(parseGcPayload(await runHelper('gc'), 'kvm-test').filter((session) => session.cloneId === cloneId)).toEqual([]);
    const list = await services.hosts.listVms(host.id);
    expect(list.vms.find((vm) => vm.id === `qmp:${socket}`)?.state).toBe('running');
    cloneId = '';
  });
});
