import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseListPayload, parseVmEntry } from '../../../../main/helper-client/helper-payloads';

const run = promisify(execFile);

interface HelperShapes {
  readonly entries: ReadonlyArray<{ readonly label: string; readonly entry: Record<string, unknown> }>;
  readonly payloads: ReadonlyArray<{ readonly label: string; readonly payload: Record<string, unknown> }>;
}

// The shapes come from the helper's own inventory functions (resources/helper/tests/list_shapes.py),
// so this test fails when inventory.py and the app's schema drift apart.
let shapes: HelperShapes;

beforeAll(async () => {
  const { stdout } = await run('python3', [resolve('resources/helper/tests/list_shapes.py')], { timeout: 60_000 });
  shapes = JSON.parse(stdout) as HelperShapes;
}, 90_000);

describe('helper list payloads: the app reads every shape the helper writes', () => {
  it('reads every entry shape the helper produces without falling back to "cannot read"', () => {
    expect(shapes.entries.length).toBeGreaterThanOrEqual(8);
    for (const { label, entry } of shapes.entries) {
      const vm = parseVmEntry(entry, 0);
      expect(vm.id, label).toBe(entry['id']);
      expect(vm.readError ?? '', label).not.toMatch(/could not be read \(at/);
    }
  });

  it('lists the readable VMs beside the broken ones, each broken one with its reason and not cloneable', () => {
    for (const { label, payload } of shapes.payloads) {
      const list = parseListPayload(payload, 'root@kvm1:22');
      expect(list.vms.length, label).toBe((payload['vms'] as unknown[]).length);
    }
    const list = parseListPayload(shapes.payloads[0]?.payload, 'root@kvm1:22');
    const broken = list.vms.filter((vm) => vm.readError !== undefined);
    expect(broken.map((vm) => vm.cloneable)).toEqual(broken.map(() => false));
    const stale = broken.find((vm) => vm.id.endsWith('c-stale.qmp'));
    expect(stale?.reasons.join(' ')).toMatch(/c-stale\.qmp could not be read: .*Connection refused/);
    const gone = broken.find((vm) => vm.id === 'libvirt:66666666-7777-8888-9999-aaaaaaaaaaaa');
    expect(gone?.readError).toMatch(/disappeared while the list was read/);
    expect(list.vms.filter((vm) => vm.readError === undefined).map((vm) => vm.name).sort()).toEqual(['db01', 'old01', 'web01']);
    expect(list.vms.find((vm) => vm.id === 'libvirt:db01')).toMatchObject({ cloneable: true, state: 'running', qgaChannel: true });
  });

  it('turns an entry the app cannot read into a named, non-cloneable row instead of failing the list', () => {
    const good = shapes.entries.find((item) => item.label.startsWith('libvirt 1111'))?.entry ?? {};
    const { name: _dropped, ...withoutName } = good;
    const list = parseListPayload({ vms: [good, withoutName, 42], libvirt: { available: true }, qmpDirs: [] }, 'root@kvm1:22');
    expect(list.vms[0]).toMatchObject({ id: 'libvirt:db01', cloneable: true });
    expect(list.vms[1]).toMatchObject({ id: 'libvirt:db01', kind: 'libvirt', cloneable: false, readError: 'The helper\'s entry for this VM could not be read (at "name").' });
    expect(list.vms[2]).toMatchObject({ id: 'unreadable:2', kind: 'qmp', cloneable: false });
  });

  it('never offers an entry the helper marked unreadable for cloning', () => {
    const vm = parseVmEntry({ id: 'qmp:/x', kind: 'qmp', name: null, state: 'unknown', memoryBytes: null, vcpus: 0, qgaChannel: false, cloneable: true, reasons: ['x'], error: 'x' }, 0);
    expect(vm).toMatchObject({ cloneable: false, readError: 'x' });
  });
});
