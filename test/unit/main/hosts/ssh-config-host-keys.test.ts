import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expandKnownHostsPath } from '../../../../main/hosts/ssh-config-host-keys';
import { loadSshConfigHosts } from '../../../../main/hosts/ssh-config-hosts';

describe('host-key options from ~/.ssh/config', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'civic-config-host-keys-'));
  });
  afterEach(() => rm(home, { recursive: true, force: true }));

  async function hostsOf(config: string) {
    const path = join(home, 'config');
    await writeFile(path, config);
    return loadSshConfigHosts({ homeDir: home, sshDir: home, localUser: 'me' }, path);
  }

  it('reads every option that bears on host keys, in any case, first value winning', async () => {
    const [host] = await hostsOf(
      [
        'Host kvm1',
        '  HostName KVM1.Example',
        '  Port 2222',
        '  User ops',
        '  userknownhostsfile ~/kh/%h-%p-%r-%n-%u-%k-%% "/with space/%d"',
        '  GlobalKnownHostsFile /etc/civic/%h ~/global',
        '  HostKeyAlias Lab-Alias',
        '  StrictHostKeyChecking accept-new',
        '  CheckHostIP yes',
        'Host *',
        '  UserKnownHostsFile /never',
        '  StrictHostKeyChecking no',
      ].join('\n'),
    );
    expect(host?.hostKeys).toEqual({
      userKnownHostsFiles: [join(home, 'kh/kvm1.example-2222-ops-kvm1-me-lab-alias-%'), `/with space/${home}`],
      globalKnownHostsFiles: ['/etc/civic/%h', '~/global'],
      hostKeyAlias: 'Lab-Alias',
      strictHostKeyChecking: 'accept-new',
      checkHostIp: true,
    });
  });

  it('reads none as no files, true/false as yes/no, and leaves hosts without options alone', async () => {
    const hosts = await hostsOf(['Host a', '  UserKnownHostsFile none', '  StrictHostKeyChecking false', 'Host b', '  HostName b.example'].join('\n'));
    expect(hosts[0]?.hostKeys).toEqual({ userKnownHostsFiles: [], strictHostKeyChecking: 'no' });
    expect(hosts[1]?.hostKeys).toBeUndefined();
  });

  it('marks what OpenSSH would refuse to run with as a config error', async () => {
    const hosts = await hostsOf(
      ['Host a', '  UserKnownHostsFile /x/%Z', 'Host b', '  StrictHostKeyChecking maybe', 'Host c', '  RevokedHostKeys /etc/ssh/krl'].join('\n'),
    );
    expect(hosts.map((host) => host.hostKeys?.configError)).toEqual([
      expect.stringContaining('%Z'),
      expect.stringContaining('maybe'),
      expect.stringContaining('RevokedHostKeys'),
    ]);
  });

  it('expands %i, %C and ${VAR} as ssh does', () => {
    const tokens = { alias: 'a', hostName: 'h', port: 22, user: 'r', localUser: 'u', homeDir: '/home/u' };
    expect(expandKnownHostsPath('/k/%i', tokens)).toBe(`/k/${userInfo().uid}`);
    expect(expandKnownHostsPath('/k/%C', tokens)).toMatch(/^\/k\/[0-9a-f]{40}$/);
    expect(expandKnownHostsPath('/k/${CIVIC_KH}', tokens, { CIVIC_KH: 'x' })).toBe('/k/x');
    expect(() => expandKnownHostsPath('/k/${CIVIC_UNSET}', tokens, {})).toThrow(/CIVIC_UNSET/);
  });
});
