import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../main/cli/civic';
import { hostsCommand } from '../../../main/cli/commands/hosts-command';
import type { HostsCliEnvironment } from '../../../main/cli/commands/hosts-cli-context';
import { vmsCommand } from '../../../main/cli/commands/vms-command';
import { labVm, readLabInfo, type LabInfo } from '../../support/lab';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (text: string) => out.push(text), err: (text: string) => err.push(text) }, out: () => out.join(''), err: () => err.join('') };
}

describe('civic hosts and civic vms against the lab', () => {
  let lab: LabInfo;
  let home: string;
  let environment: HostsCliEnvironment;
  let qmpSocket: string;
  const secretsAsked: string[] = [];

  beforeAll(async () => {
    lab = await readLabInfo();
    qmpSocket = labVm(lab, 'lab-web').qmpSocketPath ?? '';
    home = await mkdtemp(join(tmpdir(), 'civic-cli-home-'));
    environment = {
      appDataDir: join(home, 'data'),
      homeDir: home,
      resourcesDir: resolve('resources'),
      readSecret: async (request) => {
        secretsAsked.push(request.kind);
        return null;
      },
    };
  });

  afterAll(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('adds the lab host and lists it', async () => {
    const add = capture();
    const target = `root@${lab.ssh.host}:${lab.ssh.port}`;
    expect(await hostsCommand(['add', 'lab', target, '--identity', lab.ssh.privateKeyPath, '--qmp-dir', dirname(qmpSocket)], add.io, environment)).toBe(0);
    expect(add.out()).toMatch(/^Added lab \(root@127\.0\.0\.1:\d+\) as app:/);
    const list = capture();
    expect(await hostsCommand(['list'], list.io, environment)).toBe(0);
    expect(list.out()).toContain(target);
  });

  it('refuses an unknown host key without --accept-new-host-key and prints its fingerprint', async () => {
    const vms = capture();
    expect(await vmsCommand(['lab'], vms.io, environment)).toBe(1);
    expect(vms.err()).toMatch(/HOST_KEY_UNKNOWN.*SHA256:[A-Za-z0-9+/]{43}/);
  });

  it('prints the VM list with the flag: lab-web by its QMP socket and lab-db through libvirt', async () => {
    const vms = capture();
    expect(await vmsCommand(['lab', '--accept-new-host-key'], vms.io, environment)).toBe(0);
    expect(vms.out()).toContain(`qmp:${qmpSocket}`);
    expect(vms.out()).toMatch(/lab-db .*libvirt:lab-db/);
    expect(vms.err()).toMatch(/accepting new host key .*SHA256:/);
    // Now known: a second run asks nothing.
    const again = capture();
    expect(await vmsCommand(['lab'], again.io, environment)).toBe(0);
    expect(again.err()).toBe('');
    expect(secretsAsked).toEqual([]);
  });

  it('is reachable through the civic command table and removes the host', async () => {
    const help = capture();
    expect(await runCli(['help'], help.io)).toBe(0);
    expect(help.out()).toMatch(/hosts list\|add\|remove\|test/);
    const remove = capture();
    expect(await hostsCommand(['remove', 'lab'], remove.io, environment)).toBe(0);
    const list = capture();
    await hostsCommand(['list'], list.io, environment);
    expect(list.out()).toMatch(/^No hosts/);
  });
});
