import { describe, expect, it } from 'vitest';
import { resolveRoute } from '../../../../main/hosts/host-route';
import type { HostTarget } from '../../../../main/hosts/host-types';

const host = (alias: string, fields: Partial<HostTarget> = {}): HostTarget => ({
  id: `ssh-config:${alias}`,
  alias,
  hostName: `${alias}.example`,
  user: 'ops',
  port: 22,
  source: 'ssh-config',
  identityFiles: [],
  ...fields,
});

describe('routes carry each host\'s host-key options', () => {
  it('gives the target and an inventory jump their own policy, and a literal hop none', () => {
    const inventory = [
      host('jump', { hostKeys: { userKnownHostsFiles: ['/k/jump'] } }),
      host('kvm', { proxyJump: 'jump,admin@10.0.0.9', hostKeys: { hostKeyAlias: 'kvm-alias' } }),
    ];
    const route = resolveRoute(inventory[1] as HostTarget, inventory, { localUser: 'me', defaultIdentityFiles: [] });
    expect(route.jumps.map((jump) => jump.hostKeys)).toEqual([{ userKnownHostsFiles: ['/k/jump'] }, undefined]);
    expect(route.target.hostKeys).toEqual({ hostKeyAlias: 'kvm-alias' });
  });
});
