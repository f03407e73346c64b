import { describe, expect, it } from 'vitest';
import { parseJump, resolveRoute } from '../../../../main/hosts/host-route';
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

const defaults = { localUser: 'me', defaultIdentityFiles: ['/home/me/.ssh/id_ed25519'] };

describe('routes', () => {
  it('parses jump specs', () => {
    expect(parseJump('user@jump:2200')).toEqual({ user: 'user', host: 'jump', port: 2200 });
    expect(parseJump('ssh://jump')).toEqual({ host: 'jump' });
    expect(parseJump('[::1]:22')).toEqual({ host: '::1', port: 22 });
    expect(() => parseJump('@jump')).toThrow();
  });

  it('follows ProxyJump through inventory aliases, their own jumps, and literal hops', () => {
    const inventory = [
      host('outer', { identityFiles: ['/k/outer'] }),
      host('inner', { proxyJump: 'outer', port: 2200 }),
      host('kvm', { proxyJump: 'inner,admin@10.0.0.9:2022', identityFiles: ['/k/kvm'] }),
    ];
    const route = resolveRoute(inventory[2] as HostTarget, inventory, defaults);
    expect(route.jumps).toEqual([
      { host: 'outer.example', port: 22, user: 'ops', identityFiles: ['/k/outer'] },
      { host: 'inner.example', port: 2200, user: 'ops', identityFiles: defaults.defaultIdentityFiles },
      { host: '10.0.0.9', port: 2022, user: 'admin', identityFiles: defaults.defaultIdentityFiles },
    ]);
    expect(route.target).toEqual({ host: 'kvm.example', port: 22, user: 'ops', identityFiles: ['/k/kvm'] });
  });

  it('refuses a ProxyJump loop', () => {
    const inventory = [host('a', { proxyJump: 'b' }), host('b', { proxyJump: 'a' })];
    expect(() => resolveRoute(inventory[0] as HostTarget, inventory, defaults)).toThrow(/loops/);
  });
});
