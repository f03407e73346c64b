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
  /** Set by the helper when it found the VM but could not read it (inventory.py `unreadable_entry`). */
  error: text.optional(),
});

// Entries are read one by one (below), so one entry the app cannot read costs that row, not the list.
const listSchema = z.object({
  vms: z.array(z.unknown()).max(1000),
  libvirt: z.object({ available: z.boolean(), reason: text.optional() }),
  qmpDirs: z.array(text).max(64),
});

/** The part of a `list` result the app shows. */
export interface VmListPayload {
  readonly vms: readonly VmSummary[];
  readonly libvirt: { readonly available: boolean; readonly reason?: string };
  readonly qmpDirs: readonly string[];
}

/** Reads a verb's result payload with its schema; a payload that does not fit is HELPER_FAILED naming where. */
export function parseWith<T>(schema: z.ZodType<T>, payload: unknown, verb: string, host: string): T {
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

/** A row for an entry the app cannot read: not cloneable, named as well as the entry allows. */
function unreadableVm(raw: unknown, index: number, where: string): VmSummary {
  const fields = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const id = text.safeParse(fields['id']);
  const kind = z.enum(['qmp', 'libvirt']).safeParse(fields['kind']);
  const name = text.safeParse(fields['name']);
  const readError = `The helper's entry for this VM could not be read (at "${where}").`;
  return {
    id: id.success ? id.data : `unreadable:${index}`,
    kind: kind.success ? kind.data : id.success && id.data.startsWith('libvirt:') ? 'libvirt' : 'qmp',
    name: name.success ? name.data : null,
    state: 'unknown',
    memoryBytes: null,
    vcpus: 0,
    qgaChannel: false,
    cloneable: false,
    reasons: [readError],
    readError,
  };
}

/** Reads one `list` entry; an entry the app cannot read becomes a row saying so. */
export function parseVmEntry(raw: unknown, index: number): VmSummary {
  const parsed = vmSchema.safeParse(raw);
  if (!parsed.success) return unreadableVm(raw, index, parsed.error.issues[0]?.path.join('.') ?? '');
  const vm = parsed.data;
  return {
    id: vm.id,
    kind: vm.kind,
    name: vm.name,
    state: vm.state,
    memoryBytes: vm.memoryBytes,
    vcpus: vm.vcpus,
    qgaChannel: vm.qgaChannel,
    // The helper never offers an unreadable VM for cloning; the app holds to that whatever it is sent.
    cloneable: vm.error === undefined && vm.cloneable,
    reasons: vm.reasons,
    ...(vm.error === undefined ? {} : { readError: vm.error }),
  };
}

/** Reads a `list` result. */
export function parseListPayload(payload: unknown, host: string): VmListPayload {
  const list = parseWith(listSchema, payload, 'list', host);
  return {
    vms: list.vms.map(parseVmEntry),
    libvirt: list.libvirt.reason === undefined ? { available: list.libvirt.available } : list.libvirt,
    qmpDirs: list.qmpDirs,
  };
}

// `gc` and `recover` results (docs/helper-protocol.md). Read to decide what to recover at connect and
// to say what was done; the host is not trusted, so strings are capped and unknown fields dropped.
const sessionVmSchema = z.object({ kind: text.nullable().optional(), target: text.nullable().optional(), id: text.nullable().optional() });

const gcSchema = z.object({
  sessions: z
    .array(
      z.object({
        cloneId: text,
        state: text,
        helperActive: z.boolean(),
        cloneAlive: z.boolean(),
        vm: sessionVmSchema.nullable().optional(),
        action: text.optional(),
      }),
    )
    .max(1000),
});

const recoverSchema = z.object({
  sessions: z
    .array(
      z.object({
        cloneId: text,
        state: text.optional(),
        outcome: z.enum(['recovered', 'live', 'busy', 'failed']),
        actions: z.array(text).max(256).optional(),
        error: z.object({ code: text, message: text, hint: text.optional() }).optional(),
      }),
    )
    .max(1000),
});

/** The VM a helper session was cloning, as its marker names it. */
export interface SessionVm {
  readonly kind: string | null;
  /** The libvirt domain name or the QMP socket path. */
  readonly target: string | null;
  /** The `list` id (`libvirt:NAME`, `qmp:PATH`). */
  readonly id: string | null;
}

/** One session `gc` lists. */
export interface GcSession {
  readonly cloneId: string;
  readonly state: string;
  /** Another helper holds the session's lock: it is at work, never to be recovered under it. */
  readonly helperActive: boolean;
  readonly cloneAlive: boolean;
  readonly vm: SessionVm | null;
  /** `needs-recover`, `removable`, `removed`, or absent. */
  readonly action: string | null;
}

/** What `recover` did to one session. */
export interface RecoverOutcome {
  readonly cloneId: string;
  readonly outcome: 'recovered' | 'live' | 'busy' | 'failed';
  readonly actions: readonly string[];
  readonly error: { readonly code: string; readonly message: string; readonly hint?: string } | null;
}

/** Reads a `gc` result (without `remove`). */
export function parseGcPayload(payload: unknown, host: string): readonly GcSession[] {
  return parseWith(gcSchema, payload, 'gc', host).sessions.map((session) => ({
    cloneId: session.cloneId,
    state: session.state,
    helperActive: session.helperActive,
    cloneAlive: session.cloneAlive,
    vm: session.vm ? { kind: session.vm.kind ?? null, target: session.vm.target ?? null, id: session.vm.id ?? null } : null,
    action: session.action ?? null,
  }));
}

/** Reads a `recover` result. */
export function parseRecoverPayload(payload: unknown, host: string): readonly RecoverOutcome[] {
  return parseWith(recoverSchema, payload, 'recover', host).sessions.map((session) => ({
    cloneId: session.cloneId,
    outcome: session.outcome,
    actions: session.actions ?? [],
    error: session.error ? { code: session.error.code, message: session.error.message, ...(session.error.hint === undefined ? {} : { hint: session.error.hint }) } : null,
  }));
}
