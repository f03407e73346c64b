import { z } from 'zod';
import type { HostCapabilities, VmSummary } from '../../preload/api';
import { WorkbenchFailure } from '../errors';

// Result payloads of `probe` and `list` (docs/helper-protocol.md). Only the fields the app shows are
// read; unknown fields are dropped, and every string is capped because the host is not trusted.
const text = z.string().max(4096);

const probeSchema = z.object({
  qemuVersion: text.nullable(),
  libvirtVersion: text.nullable(),
  qemu: z.object({
    accelerator: z.enum(['kvm', 'tcg']).nullable().catch(null),
    kvmPresent: z.boolean(),
    backgroundSnapshot: z.boolean(),
    pauseBeforeSwitchover: z.boolean(),
  }),
  privilege: z.object({ root: z.boolean(), sudo: text }),
  strategies: z.array(text).max(16),
  freeDiskBytes: z.number().nullable().optional(),
});

const vmSchema = z.object({
  id: text,
  kind: z.enum(['qmp', 'libvirt']),
  name: text.nullable(),
  uuid: text.nullable().optional(),
  state: text,
  memoryBytes: z.number().nullable(),
  vcpus: z.number().int().nonnegative().max(4096),
  qgaChannel: z.boolean(),
  cloneable: z.boolean(),
  reasons: z.array(text).max(64),
});

const listSchema = z.object({
  vms: z.array(vmSchema).max(1000),
  libvirt: z.object({ available: z.boolean(), reason: text.optional() }),
  qmpDirs: z.array(text).max(64),
});

/** The part of a `list` result the app shows. */
export interface VmListPayload {
  readonly vms: readonly VmSummary[];
  readonly libvirt: { readonly available: boolean; readonly reason?: string };
  readonly qmpDirs: readonly string[];
}

function parseWith<T>(schema: z.ZodType<T>, payload: unknown, verb: string, host: string): T {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') ?? '';
    throw new WorkbenchFailure('HELPER_FAILED', `The helper on ${host} returned a ${verb} result the app cannot read (at "${where}").`, {
      subject: host,
    });
  }
  return parsed.data;
}

/** Reads a `probe` result into the capabilities the Hosts view shows. */
export function parseProbePayload(payload: unknown, host: string): HostCapabilities {
  const probe = parseWith(probeSchema, payload, 'probe', host);
  return {
    qemuVersion: probe.qemuVersion,
    libvirtVersion: probe.libvirtVersion,
    accelerator: probe.qemu.accelerator,
    kvmPresent: probe.qemu.kvmPresent,
    backgroundSnapshot: probe.qemu.backgroundSnapshot,
    pauseBeforeSwitchover: probe.qemu.pauseBeforeSwitchover,
    strategies: probe.strategies,
    root: probe.privilege.root,
    sudo: probe.privilege.sudo,
  };
}

/** Reads a `list` result. */
export function parseListPayload(payload: unknown, host: string): VmListPayload {
  const list = parseWith(listSchema, payload, 'list', host);
  return {
    vms: list.vms.map((vm) => ({
      id: vm.id,
      kind: vm.kind,
      name: vm.name,
      state: vm.state,
      memoryBytes: vm.memoryBytes,
      vcpus: vm.vcpus,
      qgaChannel: vm.qgaChannel,
      cloneable: vm.cloneable,
      reasons: vm.reasons,
    })),
    libvirt: list.libvirt.reason === undefined ? { available: list.libvirt.available } : list.libvirt,
    qmpDirs: list.qmpDirs,
  };
}
