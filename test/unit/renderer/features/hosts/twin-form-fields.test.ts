import { describe, expect, it } from 'vitest';
import { emptyTwinDraft, parsePorts, validateTwinDraft } from '../../../../../renderer/src/features/hosts/twin-form-fields';

const check = (change: Partial<typeof emptyTwinDraft>) => validateTwinDraft({ ...emptyTwinDraft, ...change }, 'app:1', 'libvirt:web');

describe('start-twin form', () => {
  it('sends the defaults: 30 minutes, ports 8080 and 80, DHCP, auto-renew', () => {
    expect(check({})).toEqual({ request: { hostId: 'app:1', vmId: 'libvirt:web', ttlSeconds: 1800, guestPorts: [8080, 80], autoRenew: true } });
  });

  it('takes the TTL from 1 to 1440 minutes only', () => {
    expect(check({ ttlMinutes: '1' })).toMatchObject({ request: { ttlSeconds: 60 } });
    expect(check({ ttlMinutes: '1440' })).toMatchObject({ request: { ttlSeconds: 86_400 } });
    for (const bad of ['0', '1441', '2.5', '', 'ten']) expect(check({ ttlMinutes: bad }), bad).toHaveProperty('errors.ttlMinutes');
  });

  it('reads ports comma separated, 1..65535, once each', () => {
    expect(parsePorts('8080, 80,443 , 8080')).toEqual({ ports: [8080, 80, 443] });
    expect(parsePorts('')).toEqual({ ports: [] });
    for (const bad of ['0', '65536', '80, http', '-1', '8o']) expect(parsePorts(bad), bad).toHaveProperty('problem');
    expect(check({ ports: '80, 70000' })).toHaveProperty('errors.ports');
  });

  it('asks the guest agent, or takes a typed address and prefix', () => {
    expect(check({ staticAddress: true, addressSource: 'auto' })).toMatchObject({ request: { guestNetwork: 'auto' } });
    expect(check({ staticAddress: true, addressSource: 'manual', address: '192.168.122.10', prefix: '24' })).toMatchObject({
      request: { guestNetwork: { address: '192.168.122.10', prefix: 24 } },
    });
    expect(check({ staticAddress: true, addressSource: 'manual', address: 'fd00::10', prefix: '64' })).toMatchObject({ request: { guestNetwork: { address: 'fd00::10', prefix: 64 } } });
    expect(check({ staticAddress: true, addressSource: 'manual', address: '192.168.122.300', prefix: '24' })).toHaveProperty('errors.address');
    expect(check({ staticAddress: true, addressSource: 'manual', address: '10.0.0.5', prefix: '33' })).toHaveProperty('errors.prefix');
    // An address typed and then unticked is not sent.
    expect(check({ staticAddress: false, addressSource: 'manual', address: 'junk' })).not.toHaveProperty('request.guestNetwork');
  });

  it('sends auto-renew off when unticked', () => {
    expect(check({ autoRenew: false })).toMatchObject({ request: { autoRenew: false } });
  });
});
