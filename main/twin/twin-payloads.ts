import { z } from 'zod';
import { parseWith } from '../helper-client/helper-payloads';

// Result payloads of the twin verbs (`clone` with `leaseSeconds`, `renew`, `forward`, `gc`, `exec`,
// `file-get`, `load`; docs/helper-protocol.md). The host is not trusted: strings are capped, lists
// bounded, and unknown fields dropped.
const text = z.string().max(4096);
const port = z.number().int().min(1).max(65535);

const forwardSchema = z.object({
  protocol: z.enum(['tcp', 'udp']).catch('tcp'),
  hostAddress: text,
  hostPort: port,
  // Older journals kept no address for a forward to slirp's default guest.
  guestAddress: text.nullable().transform((value) => value ?? '10.0.2.15'),
  guestPort: port,
});

const leaseSchema = z.object({
  expiresAt: z.number(),
  ttlSeconds: z.number().nullable().optional(),
  secondsLeft: z.number(),
  expired: z.boolean(),
  keeperPid: z.number().nullable().optional(),
  keeperAlive: z.boolean().optional(),
  systemd: z.object({ unit: text.optional() }).nullable().optional(),
});

const cloneSchema = z.object({
  cloneId: text,
  strategy: text,
  sourcePauseMs: z.number().nullable().optional(),
  forwards: z.array(forwardSchema).max(64),
  guestNetwork: z.object({ address: text, prefix: z.number() }).nullable().optional(),
  lease: leaseSchema,
  sessionDir: text.optional(),
});

const renewSchema = z.object({ cloneId: text, lease: leaseSchema, keeperRestarted: z.boolean().optional() });
const addForwardSchema = z.object({ cloneId: text, forward: forwardSchema, forwards: z.array(forwardSchema).max(64) });

const gcTwinSchema = z.object({
  sessions: z
    .array(
      z.object({
        cloneId: text,
        state: text,
        cloneAlive: z.boolean(),
        vm: z.object({ id: text.nullable().optional(), target: text.nullable().optional() }).nullable().optional(),
        createdAt: z.number().nullable().optional(),
        twin: z.boolean().optional(),
        lease: leaseSchema.nullable().optional(),
        forwards: z.array(forwardSchema).max(64).optional(),
      }),
    )
    .max(1000),
});

const execSchema = z.object({
  argv: z.array(text).max(512),
  exitCode: z.number().int().nullable(),
  signal: z.number().int().nullable().optional(),
  stdoutBase64: z.string().max(16 * 1024 * 1024),
  stderrBase64: z.string().max(16 * 1024 * 1024),
  stdoutTruncated: z.boolean().optional(),
});

const fileGetSchema = z.object({ localPath: text, size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/), truncated: z.boolean() });

const latencySchema = z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable(), max: z.number().nullable() }).partial();
const loadSchema = z.object({
  source: z.unknown(),
  report: z.object({
    mode: z.enum(['closed', 'open']),
    offeredRate: z.number(),
    achievedRate: z.number(),
    responseRate: z.number(),
    measuredSeconds: z.number(),
    requests: z.object({ sent: z.number().int(), ok: z.number().int(), errors: z.number().int() }),
    errors: z.record(z.string().max(64), z.unknown()),
    latencyMs: latencySchema,
    timeline: z.array(z.object({ second: z.number(), requests: z.number(), errors: z.number(), p95Ms: z.number().nullable() })).max(100_000),
  }),
});

/** A forward as slirp lists it. */
export type HelperForward = z.infer<typeof forwardSchema>;
/** A twin's lease, as the host enforces it. */
export type HelperLease = z.infer<typeof leaseSchema>;
/** What `clone` returns for a twin. */
export type TwinClonePayload = z.infer<typeof cloneSchema>;
/** One session of `gc` that is a twin. */
export type GcTwin = z.infer<typeof gcTwinSchema>['sessions'][number];
/** What `exec` returns (output still base64, as the guest wrote it). */
export type ExecPayload = z.infer<typeof execSchema>;
/** What `file-get` returns. */
export type FileGetPayload = z.infer<typeof fileGetSchema>;
/** What `load` returns. */
export type LoadPayload = z.infer<typeof loadSchema>;


export const parseTwinClone = (payload: unknown, host: string): TwinClonePayload => parseWith(cloneSchema, payload, 'clone', host);
export const parseRenew = (payload: unknown, host: string): z.infer<typeof renewSchema> => parseWith(renewSchema, payload, 'renew', host);
export const parseAddForward = (payload: unknown, host: string): z.infer<typeof addForwardSchema> => parseWith(addForwardSchema, payload, 'forward', host);
export const parseExec = (payload: unknown, host: string): ExecPayload => parseWith(execSchema, payload, 'exec', host);
export const parseFileGet = (payload: unknown, host: string): FileGetPayload => parseWith(fileGetSchema, payload, 'file-get', host);
export const parseLoad = (payload: unknown, host: string): LoadPayload => parseWith(loadSchema, payload, 'load', host);

/** The twins among `gc`'s sessions (a twin whose lease file is gone has no `lease`: it is on its way out). */
export function parseGcTwins(payload: unknown, host: string): readonly GcTwin[] {
  return parseWith(gcTwinSchema, payload, 'gc', host).sessions.filter((session) => session.twin === true);
}
