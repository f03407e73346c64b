import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHostInventory } from '../../../../main/hosts/host-inventory';
import { createHostStore } from '../../../../main/hosts/host-store';
import { toHostEntry, type HostTarget } from '../../../../main/hosts/host-types';

const fromConfig: HostTarget = {
  id: 'ssh-config:kvm1',
  alias: 'kvm1',
  hostName: '10.0.0.11',
  user: 'ops',
  port: 22,
  source: 'ssh-config',
  identityFiles: [],
};

describe('host inventory', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'civic-inventory-'));
  });
  afterEach(async () => rm(dataDir, { recursive: true, force: true }));

  const inventory = () => createHostInventory({ readSshConfig: async () => [fromConfig], store: createHostStore(dataDir) });

  it('merges ssh-config hosts with app hosts and persists adds, edits and removes', async () => {
    const hosts = inventory();
    const added = await hosts.add({ alias: 'lab', hostName: '127.0.0.1', user: 'root', port: 2222, proxyJump: 'kvm1' });
    expect(added).toMatchObject({ source: 'app', alias: 'lab', identityFiles: [], proxyJump: 'kvm1' });
    expect((await inventory().list()).map((host) => host.id)).toEqual(['ssh-config:kvm1', added.id]);

    const edited = await hosts.edit(added.id, { alias: 'lab2', hostName: '127.0.0.2', user: 'root', port: 22 });
    expect(edited).not.toHaveProperty('proxyJump');
    const stored = JSON.parse(await readFile(join(dataDir, 'hosts.json'), 'utf8'));
    expect(stored).toMatchObject({ version: 1, hosts: [{ id: added.id, alias: 'lab2', hostName: '127.0.0.2' }] });

    await hosts.remove(added.id);
    expect(await inventory().list()).toEqual([fromConfig]);
  });

  it('keeps concurrent adds', async () => {
    const hosts = inventory();
    await Promise.all([1, 2, 3].map((n) => hosts.add({ alias: `h${n}`, hostName: `10.0.0.${n}`, user: 'root', port: 22 })));
    expect((await hosts.list()).length).toBe(4);
  });

  it('refuses to edit ssh-config hosts and bad input, naming the field', async () => {
    const hosts = inventory();
    await expect(hosts.edit('ssh-config:kvm1', { alias: 'x', hostName: 'x', user: 'x', port: 22 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      error: { subject: 'ssh-config:kvm1' },
    });
    await expect(hosts.remove('app:nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(hosts.add({ alias: 'ok', hostName: '-oProxyCommand=x', user: 'root', port: 22 })).rejects.toMatchObject({
      error: { subject: 'hostName' },
    });
    await expect(hosts.add({ alias: 'ok', hostName: 'h', user: 'root', port: 70000 })).rejects.toMatchObject({ error: { subject: 'port' } });
  });

  it('reports a corrupt hosts.json and leaves it untouched', async () => {
    const path = join(dataDir, 'hosts.json');
    await writeFile(path, '{ not json');
    const hosts = inventory();
    await expect(hosts.list()).rejects.toMatchObject({ code: 'VALIDATION_FAILED', error: { subject: path } });
    await expect(hosts.add({ alias: 'x', hostName: 'x', user: 'x', port: 22 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await readFile(path, 'utf8')).toBe('{ not json');
  });

  it('shows the UI only the contract fields', () => {
    expect(Object.keys(toHostEntry({ ...fromConfig, proxyJump: 'x' })).sort()).toEqual(['alias', 'hostName', 'id', 'port', 'source', 'user']);
  });
});
