import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobSnapshot } from '../../../preload/api';
import { createWorkbenchServices } from '../../../main/services';

/** The part of the lab (test/support/lab.ts) this script uses. */
interface LabApi {
  labAcquire(options: { vms: string; owner: 'tests'; log: (line: string) => void }): Promise<LabInfo>;
  labRelease(options: { keep: boolean; log: (line: string) => void }): Promise<boolean>;
  runInGuest(vm: LabVm, script: string): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}
interface LabVm {
  readonly name: string;
  readonly qmpSocketPath: string | null;
}
interface LabInfo {
  readonly ssh: { readonly host: string; readonly port: number; readonly privateKeyPath: string; readonly knownHostsLine: string };
  readonly vms: readonly LabVm[];
}

// The lab is test code, outside this folder's type-check project; it is loaded by path at run time.
const labModule = '../lab.ts';

// Regenerates resources/samples/sample.civic from the lab: `npx tsx test/support/samples/make-lab-sample.ts [output]`.
//
// Brings up the lab's compromised guest lab-web (or reuses a running lab), captures it through the real
// stack (SSH to the lab host, the helper's clone and collect, the toolkit in the clone) with processes,
// sockets, system and gdb backtraces of civic-worker, without kernel symbols or a memory dump, and
// copies the verified .civic to the output. Needs what the lab needs (root, QEMU, Debian packages: docs/LAB.md) and what the toolkit build
// needs (docs/toolkit.md). The result is a real capture, so it differs on every run.

const maxSampleBytes = 2 * 1024 * 1024;

async function main(): Promise<void> {
  const output = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'resources', 'samples', 'sample.civic'));
  const { labAcquire, labRelease, runInGuest } = (await import(labModule)) as LabApi;
  const lab = await labAcquire({ vms: 'lab-web', owner: 'tests', log: (line) => process.stderr.write(`lab: ${line}\n`) });
  const home = await mkdtemp(join(tmpdir(), 'civic-lab-sample-'));
  try {
    const web = lab.vms.find((vm) => vm.name === 'lab-web');
    if (web === undefined) throw new Error('lab-web is not running in the lab');
    await mkdir(join(home, '.ssh'), { recursive: true });
    await writeFile(join(home, '.ssh', 'known_hosts'), `${lab.ssh.knownHostsLine.trim()}\n`);
    const services = createWorkbenchServices({
      appDataDir: join(home, 'app-data'),
      resourcesDir: resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'resources'),
      transport: 'web',
      homeDir: home,
      hosts: { localUser: 'analyst', reconnect: { attempts: 0, baseDelayMs: 100, maxDelayMs: 100 } },
    });
    let lastStep = '';
    services.events.forward((name, payload) => {
      if (name !== 'jobProgress') return;
      const { job } = payload as { job: JobSnapshot };
      if (job.kind !== 'capture' || job.step === lastStep) return;
      lastStep = job.step;
      process.stderr.write(`[${String(Math.round(job.value * 100)).padStart(3)}%] ${job.step}\n`);
    });
    try {
      const host = await services.hosts.add({
        alias: 'civic-lab',
        hostName: lab.ssh.host,
        port: lab.ssh.port,
        user: 'root',
        identityFile: lab.ssh.privateKeyPath,
        proxyJump: '',
        qmpDirs: [dirname(web.qmpSocketPath ?? '/')],
      });
      const worker = Number((await runInGuest(web, 'pidof civic-worker')).stdout.trim().split(/\s+/)[0]);
      if (!Number.isInteger(worker) || worker <= 1) throw new Error('civic-worker is not running in lab-web');
      const { jobId } = await services.capture.start({
        hostId: host.id,
        vmId: `qmp:${web.qmpSocketPath ?? ''}`,
        // kernel-symbols is left out: kallsyms and BTF alone take the packed sample past its 2 MiB cap.
        steps: [{ id: 'processes' }, { id: 'sockets' }, { id: 'system' }, { id: 'backtraces', pids: [worker] }],
        access: 'qga',
        caseDir: join(home, 'cases'),
      });
      const outcome = await services.capture.wait(jobId);
      if (!outcome.verified) throw new Error(`the capture did not verify: ${outcome.bundlePath}`);
      const { size } = await stat(outcome.bundlePath);
      if (size >= maxSampleBytes) throw new Error(`the capture is ${size} bytes; the sample must stay under ${maxSampleBytes}`);
      await copyFile(outcome.bundlePath, output);
      process.stdout.write(
        `wrote ${output} (${size} bytes: ${outcome.processCount} processes, ${outcome.findingCount} findings, ${outcome.artifacts.length} artifacts, clone by ${outcome.strategy})\n`,
      );
      for (const skip of outcome.skipped) process.stderr.write(`skipped ${skip.step}: ${skip.reason}\n`);
      for (const failure of outcome.failed) process.stderr.write(`failed ${failure.step}: ${failure.message}\n`);
    } finally {
      await services.shutdown();
    }
  } finally {
    await rm(home, { recursive: true, force: true });
    await labRelease({ keep: process.env['CIVIC_LAB_KEEP'] === '1', log: (line) => process.stderr.write(`lab: ${line}\n`) });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`make-lab-sample failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
