import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  forwardedPort,
  labVm,
  labUp,
  libvirtAgentCommand,
  QgaError,
  QmpError,
  withQmp,
  libvirtDomainState,
  queryVmStatus,
  readLabInfo,
  runCommand,
  withQga,
  type LabInfo,
} from '../../support/lab';

let lab: LabInfo;

beforeAll(async () => {
  lab = await readLabInfo();
});

function sshOptions(): string[] {
  return [
    '-i', lab.ssh.privateKeyPath,
    '-o', `UserKnownHostsFile=${lab.ssh.knownHostsPath}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes',
  ];
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const call = request({ host: '127.0.0.1', port, path, timeout: 30_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    call.on('timeout', () => call.destroy(new Error('HTTP timeout')));
    call.on('error', reject);
    call.end();
  });
}

describe('lab host access', () => {
  it('lets root in with the lab key, checked against the lab known_hosts', async () => {
    const result = await runCommand('ssh', [...sshOptions(), '-p', String(lab.ssh.port), 'root@127.0.0.1', 'id -u'], { allowFailure: true });
    expect(result.stderr).not.toMatch(/Host key verification failed/);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('0');
  });

  it('refuses a host key that is not the one in known_hosts', async () => {
    // The jump host's key stands in for "a different server" on the sshd port.
    const wrongLine = lab.jumpHost.knownHostsLine.replace(`:${lab.jumpHost.port}]`, `:${lab.ssh.port}]`);
    const folder = await mkdtemp(join(tmpdir(), 'lab-known-hosts-'));
    try {
      const knownHosts = join(folder, 'known_hosts');
      await writeFile(knownHosts, `${wrongLine}\n`);
      const result = await runCommand(
        'ssh',
        ['-i', lab.ssh.privateKeyPath, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-p', String(lab.ssh.port), 'root@127.0.0.1', 'true'],
        { allowFailure: true },
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('reaches the sshd through the jump host', async () => {
    const result = await runCommand('ssh', ['-F', lab.ssh.sshConfigPath, 'civic-lab-via-jump', 'echo through-jump'], { allowFailure: true });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('through-jump');
  });

  it('gives the analyst a sudo that asks for a password and accepts the right one', async () => {
    const target = [...sshOptions(), '-p', String(lab.ssh.port), `${lab.ssh.analystUser}@127.0.0.1`];
    const withoutPassword = await runCommand('ssh', [...target, 'sudo -n true'], { allowFailure: true });
    expect(withoutPassword.code).not.toBe(0);
    expect(withoutPassword.stderr).toMatch(/password is required/);
    const withPassword = await runCommand('ssh', [...target, "sudo -S -p '' id -u"], { input: `${lab.ssh.analystPassword}\n`, allowFailure: true });
    expect(withPassword.stdout.trim()).toBe('0');
  });
});

describe('lab VMs', () => {
  it('reports every bare-QEMU VM running through QMP and the libvirt VM through virsh', async () => {
    expect(lab.vms.length).toBeGreaterThan(0);
    for (const vm of lab.vms) {
      if (vm.kind === 'qemu') {
        expect(vm.qmpSocketPath, vm.name).not.toBeNull();
        expect(await queryVmStatus(vm.qmpSocketPath ?? ''), vm.name).toBe('running');
      } else {
        expect(await libvirtDomainState(vm.libvirtDomain ?? ''), vm.name).toBe('running');
      }
    }
  });

  it('has qemu-ga answering guest-ping in lab-web (socket) and lab-db (libvirt)', async () => {
    const web = labVm(lab, 'lab-web');
    const pong = await withQga(web.qgaSocketPath ?? '', (client) => client.execute('guest-ping'));
    expect(pong).toEqual({});
    const db = labVm(lab, 'lab-db');
    expect(await libvirtAgentCommand(db.libvirtDomain ?? '', 'guest-ping')).toEqual({});
  });

  it('turns QMP and qemu-ga error replies into typed errors and frees the socket for the next client', async () => {
    const web = labVm(lab, 'lab-web');
    const qmp = web.qmpSocketPath ?? '';
    const qga = web.qgaSocketPath ?? '';
    const failure = await withQmp(qmp, (client) => client.execute('no-such-command')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(QmpError);
    expect((failure as InstanceType<typeof QmpError>).errorClass).toBe('CommandNotFound');
    await expect(withQmp(qmp, () => Promise.reject(new Error('caller failed')))).rejects.toThrow('caller failed');
    expect(await withQmp(qmp, (client) => client.execute('query-status'))).toMatchObject({ status: 'running' });
    await expect(withQga(qga, (client) => client.execute('guest-no-such-command'))).rejects.toBeInstanceOf(QgaError);
    await expect(withQga(qga, () => Promise.reject(new Error('caller failed')))).rejects.toThrow('caller failed');
    expect(await withQga(qga, (client) => client.execute('guest-ping'))).toEqual({});
  });

  it('refuses to start a second lab-db while the shared one runs', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'civic-lab-'));
    try {
      await expect(labUp({ labDir: folder, vms: 'lab-db' })).rejects.toThrow(/lab-db already runs/);
      expect(await libvirtDomainState('lab-db')).toBe('running');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('serves the CGI page of lab-web through its forwarded port', async () => {
    const web = labVm(lab, 'lab-web');
    const response = await httpGet(forwardedPort(web, 80), '/cgi-bin/status.cgi');
    expect(response.status).toBe(200);
    expect(response.body).toMatch(/^civic-lab ok lab-compromised /);
  });

  it('lets root into the lab-ssh guest, which runs no qemu-ga', async () => {
    const guest = labVm(lab, 'lab-ssh');
    expect(guest.qgaSocketPath).toBeNull();
    const result = await runCommand('ssh', ['-F', lab.ssh.sshConfigPath, 'civic-lab-guest', 'cat /proc/cmdline; pidof qemu-ga || echo no-agent'], { allowFailure: true });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/civic\.agent=ssh/);
    expect(result.stdout).toMatch(/no-agent/);
  });
});
