import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureOutcome, CaptureStep } from '../../../preload/api';
import { openBundle } from '../../../main/bundle/bundle-reader';
import { labVm, queryVmStatus, readLabInfo, runInGuest, type LabInfo, type LabVmInfo } from '../../support/lab';
import { labCaptureServices, type LabCaptureServices } from './capture-lab-services';

const run = promisify(execFile);

/** The planted listener's port and the name of the process that runs it. */
const canaryPort = 4242;
const canaryName = 'civic-canary';
const canaryPath = `/usr/local/sbin/${canaryName}`;
/** Where the canary script writes its nc's pid: the guest's busybox has no pkill to find it by parent. */
const canaryNcPidFile = `/run/${canaryName}.nc.pid`;

/** What lab-web runs for its whole life (docs/LAB.md): none of it may show as removed between two captures. */
const workloadNames = ['civic-worker', 'civic-daemon', 'httpd', 'supervisor.sh', 'tier2.sh', 'tier3.sh', 'civic-sleeper', 'updater', '.cache-sync', '[kworker/0:2]', 'wget', 'qemu-ga'];
const workloadPorts = [80, 7070, 31337];

// busybox nc listens on `::`, so the socket shows in tcp6; either table counts. State 0A is LISTEN.
const listenPattern = `:${canaryPort.toString(16).toUpperCase().padStart(4, '0')} 0+:0000 0A`;
const listenCheck = `grep -qE '${listenPattern}' /proc/net/tcp /proc/net/tcp6`;

/** A guest shell loop that returns once the canary port is (or is no longer) listening, polling for 10 s at most. */
function untilListening(listening: boolean): string {
  return `for i in $(seq 100); do if ${listenCheck}; then ${listening ? 'break' : 'usleep 100000'}; else ${listening ? 'usleep 100000' : 'break'}; fi; done`;
}

/** Triage only: no memory dump, so two captures fit in a few minutes of TCG. */
const triageSteps: CaptureStep[] = [{ id: 'processes' }, { id: 'sockets' }, { id: 'system' }];

/**
 * Starts the canary in the production guest: a shell script with a recognisable name whose child is
 * busybox `nc` listening on the port; the script waits for it, so it stays the parent. Its output
 * goes to /dev/null so qemu-ga's guest-exec finishes.
 */
async function plantCanary(vm: LabVmInfo): Promise<number> {
  const script = `#!/bin/sh\n/usr/bin/nc -ll -p ${canaryPort} -e /bin/cat &\necho $! > ${canaryNcPidFile}\nwait\necho "${canaryName} ended"\n`;
  const result = await runInGuest(
    vm,
    [
      'mkdir -p /usr/local/sbin',
      `printf '%s' '${script}' > ${canaryPath}`,
      `chmod 755 ${canaryPath}`,
      `${canaryPath} </dev/null >/dev/null 2>&1 &`,
      'echo $!',
      untilListening(true),
    ].join('\n'),
  );
  const pid = Number(result.stdout.trim());
  if (result.exitCode !== 0 || !Number.isInteger(pid) || pid < 2) throw new Error(`could not start ${canaryName}: ${result.stderr}`);
  return pid;
}

/** Ends the canary script and its nc and removes their files; returns once the port is closed. */
async function killCanary(vm: LabVmInfo, pid: number): Promise<void> {
  await runInGuest(vm, `kill ${pid} $(cat ${canaryNcPidFile}) 2>/dev/null; rm -f ${canaryNcPidFile} ${canaryPath}; ${untilListening(false)}`);
}

/** True while something in the guest listens on the canary port (`/proc/net/tcp`, state 0A). */
async function canaryListening(vm: LabVmInfo): Promise<boolean> {
  const { stdout } = await runInGuest(vm, `if ${listenCheck}; then echo yes; else echo no; fi`);
  return stdout.trim() === 'yes';
}

describe('compare two captures of lab-web taken through the real stack', () => {
  let lab: LabInfo;
  let web: LabVmInfo;
  let env: LabCaptureServices;
  let canaryPid: number | null = null;

  beforeAll(async () => {
    lab = await readLabInfo();
    web = labVm(lab, 'lab-web');
    env = await labCaptureServices(lab);
    await env.services.hosts.connect(env.host.id);
  });

  afterAll(async () => {
    if (canaryPid !== null) await killCanary(web, canaryPid).catch(() => undefined);
    await env?.close();
  });

  const capture = async (): Promise<CaptureOutcome> => {
    const { jobId } = await env.services.capture.start({
      hostId: env.host.id,
      vmId: `qmp:${web.qmpSocketPath ?? ''}`,
      steps: triageSteps,
      access: 'auto',
      caseDir: env.caseDir,
    });
    const outcome = await env.services.capture.wait(jobId);
    expect(outcome).toMatchObject({ verified: true, access: 'qga', failed: [] });
    return outcome;
  };

  it('shows a process and its listener started between the captures as added, and no workload as removed', async () => {
    expect(await canaryListening(web)).toBe(false);
    const before = await capture();

    canaryPid = await plantCanary(web);
    expect(await canaryListening(web)).toBe(true);
    const after = await capture();

    // The manifest names the key the live connection saw: the lab sshd's own key, as OpenSSH prints it.
    const { stdout: keygen } = await run('ssh-keygen', ['-lf', join(dirname(lab.ssh.privateKeyPath), 'host_ed25519_key.pub')]);
    const sshdFingerprint = /\b(SHA256:[A-Za-z0-9+/]{43})\b/.exec(keygen)?.[1];
    expect(sshdFingerprint).toBeDefined();
    for (const outcome of [before, after]) {
      const bundle = await openBundle(outcome.bundlePath);
      try {
        expect(bundle.manifest.host.hostKeySha256).toBe(sshdFingerprint);
      } finally {
        await bundle.close();
      }
    }

    const opened = [await env.services.review.open(before.bundlePath), await env.services.review.open(after.bundlePath)];
    const [first, second] = opened;
    if (first === undefined || second === undefined) throw new Error('both captures open');
    try {
      // Both captures hold the workload, so "not removed" below means it was compared, not missing.
      for (const overview of opened) {
        const names = new Set((await env.services.review.processes(overview.handle)).map((process) => process.name.text));
        for (const name of ['civic-worker', 'civic-daemon', 'httpd', 'supervisor.sh', 'civic-sleeper']) expect(names).toContain(name);
        const listening = (await env.services.review.sockets(overview.handle)).filter((socket) => socket.state === 'LISTEN').map((socket) => socket.localPort);
        expect(listening).toEqual(expect.arrayContaining(workloadPorts));
      }
      const diff = await env.services.review.compare(first.handle, second.handle);
      expect(diff.before.handle).toBe(first.handle);
      expect(diff.after.handle).toBe(second.handle);

      const added = diff.processes.added;
      const canary = added.find((process) => process.pid === canaryPid);
      expect(canary?.name.text).toBe(canaryName);
      const listener = added.find((process) => process.ppid === canaryPid && process.name.text === 'nc');
      expect(listener).toBeDefined();
      expect(diff.sockets.added).toEqual(
        expect.arrayContaining([expect.objectContaining({ state: 'LISTEN', localPort: canaryPort, pid: listener?.pid })]),
      );

      const removedNames = diff.processes.removed.map((process) => process.name.text);
      expect(removedNames.filter((name) => workloadNames.includes(name))).toEqual([]);
      // Nothing else of user space goes either: only the first capture's own collector, which ran in
      // that clone. Kernel workers (children of kthreadd) come, go and rename themselves on their own.
      const userSpaceRemoved = diff.processes.removed.filter((process) => process.ppid !== 2 && process.pid !== 2);
      expect(userSpaceRemoved.map((process) => process.name.text).filter((name) => name !== 'civic-collect')).toEqual([]);
      const removedListeners = diff.sockets.removed.filter((socket) => socket.state === 'LISTEN').map((socket) => socket.localPort);
      expect(removedListeners.filter((port) => port !== null && workloadPorts.includes(port))).toEqual([]);
      expect(diff.sockets.removed.some((socket) => socket.localPort === canaryPort)).toBe(false);
    } finally {
      for (const overview of opened) await env.services.review.close(overview.handle);
    }

    expect(await queryVmStatus(web.qmpSocketPath ?? '')).toBe('running');

    await killCanary(web, canaryPid);
    canaryPid = null;
    expect(await canaryListening(web)).toBe(false);
  });
});
