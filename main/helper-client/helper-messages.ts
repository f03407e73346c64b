import { z } from 'zod';
import type { ErrorCode } from '../../preload/api';
import { WorkbenchFailure } from '../errors';

/** The helper protocol version this app speaks (docs/helper-protocol.md). */
export const helperProtocolVersion = 1;

/** The helper's own version this app ships and expects on the host. */
export const helperVersion = '0.1.0';

// Unknown fields are ignored (z.object strips them): the protocol may add fields within one version.
// Capabilities are informational: entries that are not strings are dropped, a missing list is empty.
const helloSchema = z.object({
  type: z.literal('hello'),
  protocolVersion: z.number().int(),
  helperVersion: z.string().max(64),
  capabilities: z
    .array(z.unknown())
    .max(256)
    .optional()
    .transform((items) => (items ?? []).filter((item): item is string => typeof item === 'string' && item.length <= 128)),
});

/** What the helper says about itself in the first line of every run. */
export interface HelperHello {
  readonly helperVersion: string;
  readonly protocolVersion: number;
  readonly capabilities: readonly string[];
}

/**
 * Reads a hello line: `{"type":"hello","protocolVersion":N,"helperVersion":"x","capabilities":[...]}`.
 *
 * The app's one hello parser (the job stream checks its first line with the same schema). Returns
 * null for anything else, so a stray line cannot pass for a helper.
 */
export function parseHelperHello(line: string): HelperHello | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = helloSchema.safeParse(value);
  if (!parsed.success) return null;
  const { helperVersion, protocolVersion, capabilities } = parsed.data;
  return { helperVersion, protocolVersion, capabilities };
}

const progressSchema = z.object({
  type: z.literal('progress'),
  step: z.string().max(128),
  value: z.number().min(0).max(1),
  message: z.string().max(4096),
});

const resultSchema = z.object({
  type: z.literal('result'),
  payload: z.unknown(),
});

const errorSchema = z.object({
  type: z.literal('error'),
  code: z.string().max(64),
  message: z.string().max(4096),
  hint: z.string().max(4096).optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});

const messageSchema = z.discriminatedUnion('type', [helloSchema, progressSchema, resultSchema, errorSchema]);

/** One line of helper output, checked. */
export type HelperMessage = z.infer<typeof messageSchema>;

/** The final line of a run: a result or an error. */
export type HelperFinal = Extract<HelperMessage, { type: 'result' | 'error' }>;

/** Codes the helper may send (docs/helper-protocol.md, "Codes"); anything else becomes HELPER_FAILED. */
const helperCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'VM_BUSY',
  'VM_NOT_CLONEABLE',
  'IMPACT_BUDGET_EXCEEDED',
  'LOAD_TARGET_REFUSED',
  'CANCELLED',
  'HELPER_FAILED',
]);

/** Longest line accepted; a line longer than this is not the helper speaking. */
export const maxHelperLineBytes = 8 * 1024 * 1024;

/**
 * Parses one stdout line of the helper; throws HELPER_FAILED naming the host when it is not protocol.
 *
 * Strict about shape, lenient about extra fields.
 */
export function parseHelperLine(line: string, host: string): HelperMessage {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new WorkbenchFailure('HELPER_FAILED', `The helper on ${host} wrote a line that is not JSON.`, { subject: host });
  }
  const parsed = messageSchema.safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') ?? '';
    throw new WorkbenchFailure('HELPER_FAILED', `The helper on ${host} wrote a line outside its protocol${where ? ` (at "${where}")` : ''}.`, {
      subject: host,
    });
  }
  return parsed.data;
}

/** Throws HELPER_VERSION_MISMATCH unless the hello names the protocol this app speaks. */
export function checkHello(message: HelperMessage, host: string): void {
  if (message.type !== 'hello') {
    throw new WorkbenchFailure('HELPER_FAILED', `The helper on ${host} did not start with its hello line.`, { subject: host });
  }
  if (message.protocolVersion !== helperProtocolVersion) {
    throw new WorkbenchFailure(
      'HELPER_VERSION_MISMATCH',
      `The helper on ${host} speaks protocol ${message.protocolVersion}; this app speaks ${helperProtocolVersion}.`,
      { subject: host },
    );
  }
}

/** The failure an `error` line stands for, keeping the helper's code when the app knows it. */
export function helperErrorToFailure(message: Extract<HelperMessage, { type: 'error' }>, host: string): WorkbenchFailure {
  const known = helperCodes.has(message.code as ErrorCode);
  const code: ErrorCode = known ? (message.code as ErrorCode) : 'HELPER_FAILED';
  const text = known ? message.message : `${message.message} (helper code ${message.code})`;
  return new WorkbenchFailure(code, text, { subject: host });
}
