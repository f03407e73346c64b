import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expandGlobPath, loadSshConfigHosts, type SshConfigContext } from '../../../../main/hosts/ssh-config-hosts';

describe('hosts from ~/.ssh/config', () => {
  let home: string;
  let context: SshConfigContext;

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'civic-home-'));
    context = { homeDir: home, sshDir: join(home, '.ssh'), localUser: 'analyst' };
    await mkdir(join(home, '.ssh', 'config.d'), { recursive: true });
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));

  it('reads Host, HostName, User, Port, IdentityFile and ProxyJump, with defaults and wildcards skipped', async () => {
    await writeFile(
      join(context.sshDir, 'config'),
      [
        'Host kvm1 kvm1-alias',
        '  HostName 10.0.0.11',
        '  User ops',
        '  Port 2222',
        '  IdentityFile ~/.ssh/id_kvm',
        '  IdentityFile "%d/keys/%r@%h"',
        '  ProxyJump bastion',
        'Host bastion',
        '  HostName bastion.example',
        'Host *.lab !bad.lab',
        '  User labuser',
        'Host *',
        '  ServerAliveInterval 30',
      ].join('\n'),
    );
    const hosts = await loadSshConfigHosts(context);
    expect(hosts.map((host) => host.alias)).toEqual(['kvm1', 'kvm1-alias', 'bastion']);
    expect(hosts[0]).toEqual({
      id: 'ssh-config:kvm1',
      alias: 'kvm1',
      hostName: '10.0.0.11',
      user: 'ops',
      port: 2222,
      source: 'ssh-config',
      identityFiles: [join(home, '.ssh', 'id_kvm'), join(home, 'keys', 'ops@10.0.0.11')],
      proxyJump: 'bastion',
    });
    expect(hosts[2]).toMatchObject({ hostName: 'bastion.example', user: 'analyst', port: 22, identityFiles: [] });
    expect(hosts[2]).not.toHaveProperty('proxyJump');
  });

  it('follows Include globs relative to ~/.ssh, nested, and keeps the enclosing Host block after an Include', async () => {
    await writeFile(
      join(context.sshDir, 'config'),
      ['Include config.d/*.conf', 'Host outer', '  Include extra', '  User outer-user', 'Host late', '  HostName late.example'].join('\n'),
    );
    await writeFile(join(context.sshDir, 'config.d', '10-a.conf'), 'Host a\n  HostName a.example\n  Include ~/.ssh/config.d/nested\n');
    await writeFile(join(context.sshDir, 'config.d', '20-b.conf'), 'Host b\n  HostName b.example\n');
    await writeFile(join(context.sshDir, 'config.d', 'ignored.txt'), 'Host ignored\n');
    await writeFile(join(context.sshDir, 'config.d', 'nested'), 'Host nested\n  Port 2200\n');
    await writeFile(join(context.sshDir, 'extra'), 'Host from-extra\n  User extra-user\n');
    const hosts = await loadSshConfigHosts(context);
    expect(hosts.map((host) => host.alias)).toEqual(['a', 'nested', 'b', 'outer', 'from-extra', 'late']);
    expect(hosts.find((host) => host.alias === 'nested')?.port).toBe(2200);
    // The User after the Include belongs to `outer`, not to the included `from-extra`.
    expect(hosts.find((host) => host.alias === 'outer')?.user).toBe('outer-user');
    expect(hosts.find((host) => host.alias === 'from-extra')?.user).toBe('extra-user');
  });

  it('survives an Include loop and a missing config', async () => {
    await writeFile(join(context.sshDir, 'config'), 'Include config\nHost loop\n');
    expect((await loadSshConfigHosts(context)).map((host) => host.alias)).toEqual(['loop']);
    await rm(join(context.sshDir, 'config'));
    expect(await loadSshConfigHosts(context)).toEqual([]);
  });

  it('expands wildcards in any path segment, sorted, skipping dot files', async () => {
    await mkdir(join(home, 'x1'));
    await mkdir(join(home, 'x2'));
    await writeFile(join(home, 'x1', 'c'), '');
    await writeFile(join(home, 'x2', 'c'), '');
    await writeFile(join(home, 'x2', '.c'), '');
    expect(await expandGlobPath(join(home, 'x?', '*'))).toEqual([join(home, 'x1', 'c'), join(home, 'x2', 'c')]);
  });
});
