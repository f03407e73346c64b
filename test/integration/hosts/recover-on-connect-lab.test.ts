import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostDetails, HostNoticeEvent, JobSnapshot } from '../../../preload/api';
import { helperArgv } from '../../../main/helper-client/helper-job';
import { parseGcPayload } from '../../../main/helper-client/helper-payloads';
import { createWorkbenchServices, type WorkbenchServices } from '../../../main/services';
import { labVm, libvirtDomainState, readLabInfo, virsh } from '../../support/lab';

// An interrupted session as the worst case leaves it: the helper and its pause watchdog both SIGKILLed
// inside the source pause of a precopy clone, so the libvirt source stays paused until `recover`. The
// app then connects, finds the session with `gc`, recovers it as a job, and says what it did.
describe('recover on connect against the lab (real sshd, libvirtd, QEMU)', () => {
  let services: WorkbenchServices;
  let home: string;
  let host: HostDetails;
  let helperDir: string;
  let domain: string;
  let cloneId: string;
  let sessionDir: string;
  const notices: HostNoticeEvent[] = [];
  const jobs = new Map<string, JobSnapshot>();

  /** The helper's last line of output (its JSON result) for a verb run directly as root on the host. */
  const runHelper = async (verb: 'gc' | 'recover', args: Record<string, unknown> = {}): Promise<unknown> => {
    const result = await services.hosts.ssh.runPrivileged(host.id, helperArgv(helperDir, { verb, args, qmpDirs: [] }), { maxOutputBytes: 1 << 20 });
    const last = result.stdout.toString('utf8').trim().split('\n').pop() ?? '';
    return (JSON.parse(last) as { payload: unknown }).payload;
  };
  const shell = async (script: string): Promise<{ code: number | null; out: string }> => {
    const result = await services.hosts.ssh.runPrivileged(host.id, ['sh', '-c', script], { maxOutputBytes: 1 << 16 });
    return { code: result.exitCode, out: result.stdout.toString('utf8').trim() };
  };

  beforeAll(async () => {
    const lab = await readLabInfo();
    domain = labVm(lab, 'lab-db').libvirtDomain ?? 'lab-db';
    home = await mkdtemp(join(tmpdir(), 'civic-recover-home-'));
    services = createWorkbenchServices({
      appDataDir: join(home, 'app-data'),
      resourcesDir: resolve('resources'),
      transport: 'web',
      homeDir: home,
      hosts: { localUser: 'nobody-local', reconnect: { attempts: 0, baseDelayMs: 100, maxDelayMs: 100 } },
    });
    services.events.forward((name, payload) => {
      if (name === 'hostNotice') notices.push(payload as HostNoticeEvent);
      if (name === 'jobProgress') {
        const job = (payload as { job: JobSnapshot }).job;
        jobs.set(job.jobId, job);
      }
      if (name === 'hostKeyPrompt') {
        const prompt = payload as { promptId: string; closed?: boolean };
        if (!prompt.closed) void services.hosts.answerHostKey(prompt.promptId, true);
      }
    });
    host = await services.hosts.add({ alias: 'lab', hostName: lab.ssh.host, port: lab.ssh.port, user: 'root', identityFile: lab.ssh.privateKeyPath, proxyJump: '', qmpDirs: [] });
    await services.hosts.connect(host.id);
    // Leftovers of an earlier run are recovered by this first connect; what follows starts clean.
    await services.hosts.interruptedSessionsChecked(host.id);
    helperDir = (await services.hosts.helper.deploy(host.id)).remoteDir;
    expect(await libvirtDomainState(domain)).toBe('running');
  });

  afterAll(async () => {
    // Whatever happened above, leave lab-db running and no session behind.
    if (services && helperDir) await runHelper('recover').catch(() => undefined);
    if (domain && (await libvirtDomainState(domain).catch(() => '')).startsWith('paused')) await virsh(['resume', domain], true).catch(() => undefined);
    await services?.shutdown();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('leaves an interrupted precopy session with the source paused when helper and watchdog die together', async () => {
    const clone = await services.hosts.ssh.runPrivileged(
      host.id,
      ['env', 'CIVIC_HELPER_FAULT=source-snapshot:kill-both', ...helperArgv(helperDir, { verb: 'clone', args: { vm: `libvirt:${domain}`, strategy: 'precopy' }, qmpDirs: [] })],
      { maxOutputBytes: 1 << 20, signal: AbortSignal.timeout(240_000) },
    );
    expect(clone.stdout.toString('utf8')).not.toMatch(/"type":\s*"(result|error)"/);
    expect(await libvirtDomainState(domain)).toMatch(/^paused/);
    const sessions = parseGcPayload(await runHelper('gc'), 'lab').filter((session) => session.vm?.target === domain);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ helperActive: false, action: 'needs-recover' });
    cloneId = sessions[0]?.cloneId ?? '';
    const found = await shell(`for d in "$XDG_RUNTIME_DIR/civic-workbench/sessions" "$HOME/.cache/civic-workbench/sessions"; do [ -d "$d/${cloneId}" ] && echo "$d/${cloneId}"; done; true`);
    sessionDir = found.out.split('\n')[0] ?? '';
    expect(sessionDir).toMatch(new RegExp(`/${cloneId}$`));
  });

  it('recovers it by itself at the next connect, says what it did, and lists the VM running again', async () => {
    expect(cloneId).not.toBe('');
    await services.hosts.disconnect(host.id);
    notices.length = 0;
    await services.hosts.connect(host.id);
    const notice = await services.hosts.interruptedSessionsChecked(host.id);

    expect(notice).not.toBeNull();
    expect(notices).toEqual([notice]);
    expect(notice?.tone).toBe('info');
    // precopy's migrate_cancel is what resumes a source paused at pre-switchover (teardown.py resume_source).
    expect(notice?.text).toMatch(/^Recovered 1 interrupted clone of lab-db: (.+, )?migration cancelled(, .+)?; lab-db is running\.$/);
    expect(notice?.jobIds).toHaveLength(1);
    const job = jobs.get(notice?.jobIds[0] ?? '');
    expect(job).toMatchObject({ state: 'succeeded', title: `Recover interrupted clone ${cloneId} on lab` });

    expect(await libvirtDomainState(domain)).toBe('running');
    expect((await shell(`test -e '${sessionDir}'`)).code).not.toBe(0);
    const left = parseGcPayload(await runHelper('gc'), 'lab').filter((session) => session.cloneId === cloneId);
    expect(left).toEqual([]);
    const list = await services.hosts.listVms(host.id);
    const db = list.vms.find((vm) => vm.id === `libvirt:${domain}`);
    expect(db?.state).toBe('running');
    expect(db?.reasons.join(' ')).not.toMatch(/clone of this VM already exists|overlay is on the disk chain/);
  });

  it('finds nothing to do at a connect after that', async () => {
    await services.hosts.disconnect(host.id);
    notices.length = 0;
    await services.hosts.connect(host.id);
    expect(await services.hosts.interruptedSessionsChecked(host.id)).toBeNull();
    expect(notices).toEqual([]);
  });
});
