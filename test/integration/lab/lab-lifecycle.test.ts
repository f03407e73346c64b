import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ANALYST_PASSWORD_PATH } from '../../lab/host-sshd';
import { ensureImage } from '../../lab/image-build';
import { resolveLabPaths } from '../../lab/lab-paths';
import { registerLabUser } from '../../lab/lab-lock';
import { spawn } from 'node:child_process';
import { isProcessAlive, labAcquire, labDown, labRelease, libvirtDomainState, queryVmStatus, readLabInfo, runCommand, type LabInfo } from '../../support/lab';

const CLI = join(__dirname, '..', '..', 'lab', 'cli.ts');
const TSX = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');

let folder = '';

afterAll(async () => {
  // Only reached with something left when an assertion failed half-way.
  if (folder) {
    await labDown({ labDir: folder });
    await rm(folder, { recursive: true, force: true });
  }
});

function lab(command: readonly string[]): ReturnType<typeof runCommand> {
  return runCommand(TSX, [CLI, ...command], { env: { ...process.env, CIVIC_LAB_DIR: folder }, allowFailure: true, timeoutMs: 240_000 });
}

describe('lab up / status / down in a private folder', () => {
  it('reuses the cached image, reports the VM running, and down leaves no process and no file', async () => {
    const image = await ensureImage({ cacheRoot: resolveLabPaths().cacheRoot });
    folder = await mkdtemp(join(tmpdir(), 'civic-lab-'));

    const up = await lab(['up', '--vms', 'lab-web']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain(`image ${image.cacheKey}: reused`);
    expect(up.stdout).toMatch(/lab-web: boot [\d.]+ s, QEMU RSS \d+ MiB, pid \d+/);
    const info: LabInfo = await readLabInfo(folder);
    expect(info.vms.map((vm) => vm.name)).toEqual(['lab-web']);
    expect(await queryVmStatus(info.vms[0]?.qmpSocketPath ?? '')).toBe('running');

    const status = await lab(['status']);
    expect(status.stdout).toContain(`cache key (current packages): ${image.cacheKey}`);
    expect(status.stdout).toMatch(/vm lab-web \(qemu\): running, pid \d+/);
    expect(status.stdout).toContain(`ssh -p ${info.ssh.port} -i ${info.ssh.privateKeyPath}`);

    const again = await lab(['up', '--vms', 'lab-web']);
    expect(again.stdout).toContain('reused');
    expect((await readLabInfo(folder)).startedAt).toBe(info.startedAt);

    const down = await lab(['down']);
    expect(down.code, down.stderr).toBe(0);
    for (const process of info.processes) {
      expect(await isProcessAlive(process), `${process.role} pid ${process.pid}`).toBe(false);
    }
    expect(existsSync(folder)).toBe(false);
    folder = '';
  });

  it('left the shared lab alone', async () => {
    // The analyst account is machine-wide: the private lab's down must have seen the shared lab's sshd
    // (whose title OpenSSH 9 rewrites to `sshd: /usr/sbin/sshd -D -f ... [listener] ...`) and kept it.
    expect((await runCommand('getent', ['passwd', 'civic-analyst'], { allowFailure: true })).code).toBe(0);
    expect(existsSync(ANALYST_PASSWORD_PATH)).toBe(true);
    const shared = await readLabInfo();
    for (const process of shared.processes) {
      expect(await isProcessAlive(process), process.role).toBe(true);
    }
    for (const vm of shared.vms) {
      const state = vm.kind === 'libvirt' ? await libvirtDomainState(vm.libvirtDomain ?? '') : await queryVmStatus(vm.qmpSocketPath ?? '');
      expect(state, vm.name).toBe('running');
    }
  });
});

describe('lab shared by two test runs', () => {
  it('stays up while another live run uses it and goes down with the last user', async () => {
    folder = await mkdtemp(join(tmpdir(), 'civic-lab-'));
    const info = await labAcquire({ labDir: folder, vms: 'lab-web' });
    // A live stand-in for a second test run.
    const otherRun = spawn('sleep', ['600'], { stdio: 'ignore' });
    const otherPid = otherRun.pid ?? 0;
    const otherExited = new Promise((resolve) => otherRun.once('exit', resolve));
    try {
      await registerLabUser(resolveLabPaths(folder).usersDir, otherPid);
      expect(await labRelease({ labDir: folder })).toBe(false);
      expect(await queryVmStatus(info.vms[0]?.qmpSocketPath ?? '')).toBe('running');
    } finally {
      otherRun.kill('SIGKILL');
      await otherExited;
    }
    expect(await labRelease({ labDir: folder })).toBe(true);
    for (const process of info.processes) {
      expect(await isProcessAlive(process), `${process.role} pid ${process.pid}`).toBe(false);
    }
    expect(existsSync(folder)).toBe(false);
    folder = '';
  });
});
