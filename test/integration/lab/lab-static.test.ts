import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createWorkbenchServices } from '../../../main/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, waitForHttp } from '../../lab/http-load';
import { selectVms } from '../../lab/vm-catalog';
import { forwardedPort, labAcquire, labRelease, labVm, runInGuest, type LabInfo, type LabVmInfo } from '../../support/lab';

// A private lab: lab-static is not in the default set, and the shared lab's VMs must not change.
let folder = '';
let lab: LabInfo;
let vm: LabVmInfo;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'civic-lab-static-'));
  lab = await labAcquire({ labDir: folder, vms: 'lab-static' });
  vm = labVm(lab, 'lab-static');
});

afterAll(async () => {
  if (!folder) return;
  await labRelease({ labDir: folder });
  await rm(folder, { recursive: true, force: true });
});

describe('lab-static', () => {
  it('is started only when named', () => {
    expect(selectVms(undefined).map((spec) => spec.name)).toEqual(['lab-web', 'lab-db', 'lab-ssh']);
    expect(selectVms('lab-static').map((spec) => spec.name)).toEqual(['lab-static']);
    expect(lab.vms.map((entry) => entry.name)).toEqual(['lab-static']);
    expect(vm.variant).toBe('clean');
    expect(vm.guestAddress).toBe('192.168.77.10/24');
  });

  it('has its static address and slirp on its own subnet, as qemu-ga shows', async () => {
    const result = await runInGuest(vm, 'ip -4 addr show dev eth0; ip route; ifconfig eth0; ping -c 1 -W 5 192.168.77.2 >/dev/null && echo gateway-answers');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('inet 192.168.77.10/24');
    expect(result.stdout).toContain('inet addr:192.168.77.10');
    expect(result.stdout).toMatch(/^default via 192\.168\.77\.2 dev eth0/m);
    expect(result.stdout).not.toContain('10.0.2.15');
    expect(result.stdout).toContain('gateway-answers');
  });

  it('serves civic-web and httpd through its forwards', async () => {
    const web = forwardedPort(vm, 8080);
    await waitForHttp(web, '/config');
    const answer = await httpGet(web, '/');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/^civic-web ok/);
    const status = await httpGet(forwardedPort(vm, 80), '/cgi-bin/status.cgi');
    expect(status.status).toBe(200);
  });
});

describe('a twin of lab-static (a guest with a static address on its own subnet)', () => {
  it('reads the address in the twin, clones again on that subnet, and serves through a forward and an SSH tunnel', async () => {
    const home = await mkdtemp(join(tmpdir(), 'civic-static-twin-'));
    const services = createWorkbenchServices({
      appDataDir: join(home, 'app-data'),
      resourcesDir: resolve('resources'),
      transport: 'web',
      homeDir: home,
      hosts: { localUser: 'analyst', reconnect: { attempts: 0, baseDelayMs: 100, maxDelayMs: 100 } },
    });
    services.events.forward((name, payload) => {
      const prompt = payload as { promptId: string; closed?: boolean };
      if (name === 'hostKeyPrompt' && !prompt.closed) void services.hosts.answerHostKey(prompt.promptId, true);
    });
    try {
      const host = await services.hosts.add({ alias: 'lab', hostName: lab.ssh.host, port: lab.ssh.port, user: 'root', identityFile: lab.ssh.privateKeyPath, proxyJump: '', qmpDirs: [dirname(vm.qmpSocketPath ?? '/')] });
      await services.hosts.connect(host.id);
      const listed = (await services.hosts.listVms(host.id)).vms.find((entry) => entry.name === 'lab-static');
      expect(listed?.cloneable).toBe(true);
      const { jobId } = await services.twins.start({ hostId: host.id, vmId: listed?.id ?? '', ttlSeconds: 300, guestPorts: [8080], guestNetwork: 'auto' });
      const twin = await services.twins.started(jobId);
      try {
        expect(twin.forwards).toEqual([expect.objectContaining({ guestPort: 8080, guestAddress: '192.168.77.10' })]);
        const shown = await services.twins.exec(host.id, twin.twinId, ['/bin/sh', '-c', 'ip -4 -o addr show dev eth0']);
        expect(shown.stdout.text).toContain('192.168.77.10/24');
        const forward = await services.twins.openForward(host.id, twin.twinId, 8080);
        const answer = await fetch(`${forward.localUrl ?? ''}config`);
        expect(answer.status).toBe(200);
        expect(await answer.text()).toMatch(/workers=\d+/);
      } finally {
        await services.twins.destroy(host.id, twin.twinId);
      }
    } finally {
      await services.shutdown();
      await rm(home, { recursive: true, force: true });
    }
  }, 600_000);
});
