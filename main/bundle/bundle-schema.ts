import { z } from 'zod';
import { experimentDocumentSchema } from './experiment-schema';
import { BUNDLE_FORMAT_ID, BUNDLE_SCHEMA_VERSION } from './bundle-limits';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** A UTC time in ISO 8601 with a `Z` suffix, e.g. `2026-03-14T09:26:53.589Z`. */
export const utcTimeSchema = z
  .string()
  .regex(ISO_UTC, 'must be ISO 8601 UTC ending in Z')
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be a real date and time');

/** A lower-case hex SHA-256 digest. */
export const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');

/** A guest string: plain when it was valid UTF-8, else `{ "b64": ... }` holding its exact bytes. */
export const guestStringSchema = z.union([
  z.string().max(1_048_576),
  z.strictObject({ b64: z.string().max(1_398_104).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64') }),
]);

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const label = z.string().min(1).max(256);

/** A command the helper ran. */
export const commandSchema = z.strictObject({
  argv: z.array(z.string().max(65_536)).min(1).max(4096),
  exitCode: z.number().int().min(-255).max(255).nullable(),
  startedAt: utcTimeSchema,
  endedAt: utcTimeSchema,
});

/** What an artifact is for; readers look structured artifacts up by role. */
export const artifactRoleSchema = z.enum([
  'processes',
  'sockets',
  'findings',
  'system',
  'diagnostic',
  'log',
  'memory-dump',
  'core-dump',
  'file',
  'other',
  'backtraces',
  'kernel-stacks',
  'syscalls',
  'metrics',
  'command-output',
  'kernel-symbols',
  'experiment',
]);

/** One artifact as the manifest lists it. */
export const artifactSchema = z.strictObject({
  path: z.string().min(1).max(1024),
  mediaType: z.string().regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/, 'must be a media type like application/json'),
  size: count,
  sha256: sha256Schema,
  role: artifactRoleSchema,
});

/** The manifest, `manifest.json` at the bundle root. */
export const manifestSchema = z.strictObject({
  schemaVersion: z.literal(BUNDLE_SCHEMA_VERSION),
  format: z.literal(BUNDLE_FORMAT_ID),
  captureId: label,
  toolVersion: label,
  helperVersion: label,
  host: z.strictObject({
    name: label,
    hostKeySha256: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'must be an OpenSSH SHA256 fingerprint'),
  }),
  vm: z.strictObject({
    name: label,
    uuid: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lower-case UUID'),
  }),
  cloneId: label,
  startedAt: utcTimeSchema,
  endedAt: utcTimeSchema,
  commands: z.array(commandSchema).max(10_000),
  artifacts: z.array(artifactSchema).max(5_000),
});

/** One entry of `custody.jsonl`. */
export const custodyEntrySchema = z.strictObject({
  seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  at: utcTimeSchema,
  actor: label,
  action: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a lower-case word like seal-manifest'),
  subject: z.string().min(1).max(1024),
  sha256: sha256Schema.optional(),
  prev: sha256Schema,
  hash: sha256Schema,
});

/** Real, effective, saved and filesystem ids, as `/proc/PID/status` lists them. */
export const idQuadSchema = z.tuple([count, count, count, count]);

const namespaceInode = count.optional();

/** Namespace inodes of a process (`/proc/PID/ns/*`); processes sharing a namespace share its inode. */
export const namespacesSchema = z.strictObject({
  cgroup: namespaceInode,
  ipc: namespaceInode,
  mnt: namespaceInode,
  net: namespaceInode,
  pid: namespaceInode,
  time: namespaceInode,
  user: namespaceInode,
  uts: namespaceInode,
});

/** An executable mapping with no regular file behind it (anonymous, memfd, deleted): where injected code lives. */
export const executableMappingSchema = z.strictObject({
  range: z.string().regex(/^[0-9a-f]{1,16}-[0-9a-f]{1,16}$/, 'must be START-END in hex'),
  permissions: z.string().regex(/^[r-][w-][x-][ps-]$/, 'must be four permission letters like r-xp'),
  name: guestStringSchema,
});

/** One process of the `processes` artifact. */
export const processSchema = z.strictObject({
  pid: count,
  ppid: count,
  name: guestStringSchema,
  user: guestStringSchema,
  uid: count,
  state: z.string().max(16),
  exe: guestStringSchema.nullable(),
  exeDeleted: z.boolean(),
  cwd: guestStringSchema.nullable().optional(),
  argv: z.array(guestStringSchema).max(65_536),
  environment: z.array(guestStringSchema).max(65_536).optional(),
  kernelThread: z.boolean(),
  startedAt: utcTimeSchema.nullable(),
  threads: count,
  rssKiB: count,
  cpuSeconds: z.number().nonnegative().finite(),
  uids: idQuadSchema.optional(),
  gids: idQuadSchema.optional(),
  root: guestStringSchema.nullable().optional(),
  argvTruncated: z.boolean().optional(),
  environmentTruncated: z.boolean().optional(),
  vszKiB: count.optional(),
  tracerPid: count.optional(),
  fdCount: count.optional(),
  cgroup: guestStringSchema.optional(),
  namespaces: namespacesSchema.optional(),
  executableAnonymousMappings: z.array(executableMappingSchema).max(64).optional(),
  executableAnonymousMappingsTruncated: z.boolean().optional(),
});

/** The `processes` artifact (`application/json`). */
export const processesDocumentSchema = z.strictObject({
  schemaVersion: z.literal(1),
  capturedAt: utcTimeSchema,
  processes: z.array(processSchema).max(1_000_000),
  truncated: z.boolean().optional(),
});

/** One socket of the `sockets` artifact. */
export const socketSchema = z.strictObject({
  protocol: z.enum(['tcp', 'tcp6', 'udp', 'udp6', 'unix']),
  state: z.string().max(32),
  localAddress: guestStringSchema,
  localPort: z.number().int().min(0).max(65_535).nullable(),
  remoteAddress: guestStringSchema.nullable(),
  remotePort: z.number().int().min(0).max(65_535).nullable(),
  pid: count.nullable(),
  inode: count.nullable(),
});

/** The `sockets` artifact (`application/json`). */
export const socketsDocumentSchema = z.strictObject({
  schemaVersion: z.literal(1),
  capturedAt: utcTimeSchema,
  sockets: z.array(socketSchema).max(1_000_000),
});

/** One finding of the `findings` artifact. */
export const findingSchema = z.strictObject({
  id: label,
  rule: label,
  severity: z.enum(['critical', 'high', 'medium', 'low', 'info']),
  title: z.string().min(1).max(1024),
  detail: guestStringSchema,
  pids: z.array(count).max(100_000),
  falsePositives: z.string().max(65_536),
  nextStep: z.string().max(65_536),
});

/** The `findings` artifact (`application/json`). */
export const findingsDocumentSchema = z.strictObject({
  schemaVersion: z.literal(1),
  generatedAt: utcTimeSchema,
  findings: z.array(findingSchema).max(100_000),
});

/** One loaded kernel module (`/proc/modules`). */
export const kernelModuleSchema = z.strictObject({
  name: guestStringSchema,
  size: count,
  instances: count,
  dependencies: z.array(guestStringSchema).max(4096),
  state: guestStringSchema,
  taints: guestStringSchema,
});

/** One mount as PID 1 sees it (`/proc/1/mounts`, octal escapes decoded). */
export const mountSchema = z.strictObject({
  source: guestStringSchema,
  target: guestStringSchema,
  fsType: guestStringSchema,
  options: guestStringSchema,
});

/** A logged-in user from utmp (`USER_PROCESS` records). */
export const loginSchema = z.strictObject({
  user: guestStringSchema,
  line: guestStringSchema,
  host: guestStringSchema,
  pid: count,
  loginAt: utcTimeSchema.nullable(),
});

/** A file in a persistence location (cron, systemd units, init scripts, authorized keys), never followed if a link. */
export const persistenceEntrySchema = z.strictObject({
  path: guestStringSchema,
  type: z.enum(['file', 'directory', 'symlink', 'other']),
  size: count,
  mode: z.number().int().min(0).max(0o7777),
  uid: count,
  mtime: utcTimeSchema.nullable(),
  sha256: sha256Schema.nullable(),
  linkTarget: guestStringSchema.nullable(),
});

/** The `system` artifact (`application/json`): kernel, modules, mounts, preload, logins, persistence. */
export const systemDocumentSchema = z.strictObject({
  schemaVersion: z.literal(1),
  capturedAt: utcTimeSchema,
  kernel: z.strictObject({
    banner: guestStringSchema.nullable(),
    release: guestStringSchema.nullable(),
    tainted: count,
    taintFlags: z.array(z.string().regex(/^[A-Z]$/, 'must be one taint letter')).max(64),
    uptimeSeconds: z.number().nonnegative().finite().nullable(),
    bootedAt: utcTimeSchema.nullable(),
  }),
  modules: z.array(kernelModuleSchema).max(100_000),
  mounts: z.array(mountSchema).max(100_000),
  ldSoPreload: z.strictObject({
    present: z.boolean(),
    content: guestStringSchema.nullable(),
    truncated: z.boolean(),
  }),
  logins: z.array(loginSchema).max(100_000),
  persistence: z.array(persistenceEntrySchema).max(100_000),
  persistenceTruncated: z.boolean(),
});

/** A parsed manifest. */
export type Manifest = z.infer<typeof manifestSchema>;
/** A manifest's artifact record. */
export type ManifestArtifact = z.infer<typeof artifactSchema>;
/** What an artifact is for. */
export type ArtifactRole = z.infer<typeof artifactRoleSchema>;
/** A command record as stored. */
export type ManifestCommand = z.infer<typeof commandSchema>;
/** A guest string as stored. */
export type GuestString = z.infer<typeof guestStringSchema>;
/** A stored process. */
export type StoredProcess = z.infer<typeof processSchema>;
/** The `processes` document. */
export type ProcessesDocument = z.infer<typeof processesDocumentSchema>;
/** A stored socket. */
export type StoredSocket = z.infer<typeof socketSchema>;
/** The `sockets` document. */
export type SocketsDocument = z.infer<typeof socketsDocumentSchema>;
/** A stored finding. */
export type StoredFinding = z.infer<typeof findingSchema>;
/** The `findings` document. */
export type FindingsDocument = z.infer<typeof findingsDocumentSchema>;

/** A kernel module as stored. */
export type StoredKernelModule = z.infer<typeof kernelModuleSchema>;
/** A persistence-location file as stored. */
export type StoredPersistenceEntry = z.infer<typeof persistenceEntrySchema>;
/** The `system` document. */
export type SystemDocument = z.infer<typeof systemDocumentSchema>;

/** The schema of each structured role, for readers that load documents by role. */
export const documentSchemas = {
  processes: processesDocumentSchema,
  sockets: socketsDocumentSchema,
  findings: findingsDocumentSchema,
  system: systemDocumentSchema,
  experiment: experimentDocumentSchema,
} as const;

/** Encodes bytes from the guest the way bundles store them. */
export function encodeGuestBytes(bytes: Uint8Array): GuestString {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { b64: Buffer.from(bytes).toString('base64') };
  }
}
