import { z } from 'zod';
import type { ExperimentReport } from '../../preload/api';

// The experiment document of a capture (`artifacts/experiment.json`, role `experiment`): what was
// asked (the definition) and what came of it (the report Review shows). A bundle is hostile input like
// any other, so every string is capped and every list bounded; the report's shape is the contract's.
const text = z.string().max(4096);
const longText = z.string().max(256 * 1024);
const finite = z.number().finite();

const estimate = z.strictObject({ median: finite, low: finite, high: finite });
const loadSettings = z.strictObject({
  mode: z.enum(['closed', 'open']),
  concurrency: z.number().int().min(1).max(512),
  rate: finite.optional(),
  warmupSeconds: finite,
  durationSeconds: finite,
  source: z.union([
    z.strictObject({ kind: z.literal('paths'), paths: z.array(text).max(256) }),
    z.strictObject({ kind: z.literal('access-log'), logPath: text, lastN: z.number().int().min(1).max(1_000_000) }),
  ]),
});

const tuningRow = z.strictObject({
  value: text,
  status: z.enum(['ok', 'failed']),
  throughput: estimate.nullable(),
  p95Ms: estimate.nullable(),
  p99Ms: estimate.nullable(),
  errors: z.number().int().nonnegative(),
  requests: z.number().int().nonnegative(),
  runs: z.array(z.strictObject({ repetition: z.number().int().positive(), throughput: finite, p95Ms: finite.nullable(), errors: z.number().int().nonnegative() })).max(1000),
  failure: text.optional(),
});

const series = z.strictObject({
  name: text,
  unit: z.string().max(64),
  points: z.array(z.tuple([finite, finite])).max(100_000),
});

const reportSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('tuning'),
    service: text,
    configPath: text,
    parameter: text,
    originalValue: text.nullable(),
    repetitions: z.number().int().positive().max(100),
    load: loadSettings,
    rows: z.array(tuningRow).min(1).max(64),
    recommended: z.strictObject({ value: text, confidence: z.enum(['clear', 'likely', 'unclear']), reason: text }).nullable(),
    diff: longText,
    production: z.strictObject({ aloneRps: finite.nullable(), duringRps: finite.nullable() }).nullable(),
  }),
  z.strictObject({
    kind: z.literal('agents'),
    agents: z.array(z.strictObject({ agent: z.string().max(64), title: text, series: z.array(series).max(256), error: text.optional() })).max(16),
  }),
]);

export const experimentDocumentSchema = z.strictObject({
  schemaVersion: z.literal(1),
  /** What was asked, as the request gave it (secrets never appear in experiment requests). */
  definition: z.record(z.string().max(64), z.unknown()),
  report: reportSchema,
  /** Why the experiment stopped early, when it did; the report then holds what was measured. */
  stoppedBy: z.strictObject({ code: z.string().max(64), message: text }).optional(),
});

export type ExperimentDocument = z.infer<typeof experimentDocumentSchema>;

// The document's report is the contract's type: this fails to compile when they drift apart.
const reportMatchesContract: z.infer<typeof reportSchema> extends ExperimentReport ? true : false = true;
void reportMatchesContract;
