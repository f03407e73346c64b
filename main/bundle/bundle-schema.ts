import { z } from 'zod';
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
  'log',
  'memory-dump',
  'core-dump',
  'file',
  'other',
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
});

/** The `processes` artifact (`application/json`). */
export const processesDocumentSchema = z.strictObject({
  schemaVersion: z.literal(1),
  capturedAt: utcTimeSchema,
  processes: z.array(processSchema).max(1_000_000),
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

/** The schema of each structured role, for readers that load documents by role. */
export const documentSchemas = {
  processes: processesDocumentSchema,
  sockets: socketsDocumentSchema,
  findings: findingsDocumentSchema,
} as const;

/** Encodes bytes from the guest the way bundles store them. */
export function encodeGuestBytes(bytes: Uint8Array): GuestString {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { b64: Buffer.from(bytes).toString('base64') };
  }
}
