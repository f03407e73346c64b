import { z } from 'zod';
import planDocument from '../../resources/helper/civic_helper/toolkit_plan.json';

// The plan lives in the helper's folder because that folder is what reaches the KVM host, file by file and
// checked by hash; the app's build bundles the same file here. See docs/toolkit.md.

const PLACEHOLDER = /\{\{(?:(script|scriptName):)?([A-Za-z][A-Za-z0-9]*)\}\}/g;

const argvSchema = z.array(z.string()).min(1);
const stepSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('put'), source: z.enum(['busybox', 'payload']), guestPath: z.string() }),
  z.strictObject({ kind: z.literal('exec'), purpose: z.string().min(1), argv: argvSchema, timeoutSeconds: z.number().int().positive() }),
  z.strictObject({ kind: z.literal('check-file'), guestPath: z.string(), sha256: z.string() }),
  z.strictObject({ kind: z.literal('check-hashes'), argv: argvSchema, timeoutSeconds: z.number().int().positive() }),
]);

/** `toolkit_plan.json`: the toolkit's guest layout, scripts, diagnostic argv templates and steps. */
export const toolkitPlanSchema = z.strictObject({
  schemaVersion: z.literal(1),
  about: z.array(z.string()),
  layout: z.record(z.string(), z.string()),
  scripts: z.record(z.string(), z.strictObject({ name: z.string().min(1), why: z.string(), lines: z.array(z.string()).min(1) })),
  diagnostics: z.record(z.string(), z.strictObject({ why: z.string(), inputs: z.array(z.string()), argv: argvSchema })),
  steps: z.strictObject({
    injection: z.array(stepSchema),
    outputFolder: z.array(stepSchema),
    stop: z.array(stepSchema),
    removal: z.array(stepSchema),
  }),
});

/** A toolkit plan document as written in JSON. */
export type ToolkitPlanDocument = z.infer<typeof toolkitPlanSchema>;

/** One section of plan steps: `injection`, `outputFolder` (the helper's), `stop` (the helper's), `removal`. */
export type StepSection = keyof ToolkitPlanDocument['steps'];

/** A plan step with its placeholders filled; `check-hashes` also lists what each file must hash to. */
export type FilledStep =
  | { readonly kind: 'put'; readonly source: 'busybox' | 'payload'; readonly guestPath: string }
  | { readonly kind: 'exec'; readonly purpose: string; readonly argv: readonly [string, ...string[]]; readonly timeoutSeconds: number }
  | { readonly kind: 'check-file'; readonly guestPath: string; readonly sha256: string }
  | {
      readonly kind: 'check-hashes';
      readonly argv: readonly [string, ...string[]];
      readonly timeoutSeconds: number;
      readonly expected: readonly { readonly guestPath: string; readonly sha256: string }[];
    };

/** Values for a plan's placeholders: numbers are written in decimal. */
export type PlanInputs = Readonly<Record<string, string | number>>;

/** The plan names a placeholder it does not define: a mistake in the JSON or in a caller. */
export class PlanError extends Error {
  override readonly name = 'PlanError';
}

function fill(text: string, values: Readonly<Record<string, string>>, scripts: ReadonlyMap<string, { name: string; text: string }>): string {
  return text.replace(PLACEHOLDER, (_match, kind: string | undefined, name: string) => {
    if (kind === undefined) {
      const value = values[name];
      if (value === undefined) throw new PlanError(`the toolkit plan has no value for {{${name}}}`);
      return value;
    }
    const script = scripts.get(name);
    if (!script) throw new PlanError(`the toolkit plan has no script ${name}`);
    return kind === 'scriptName' ? script.name : script.text;
  });
}

function nonEmpty(argv: readonly string[]): readonly [string, ...string[]] {
  const [first, ...rest] = argv;
  if (first === undefined) throw new PlanError('an argv of the toolkit plan is empty');
  return [first, ...rest];
}

/** A loaded plan: the layout with its placeholders filled, the scripts, and the argv and step builders. */
export class ToolkitPlan {
  /** Every layout entry (`toolkitDir`, `busybox`, ...) as an absolute guest path or a file name. */
  readonly layout: Readonly<Record<string, string>>;
  /** Every script by key: its `$0` name and its text (lines joined by newlines). */
  readonly scripts: ReadonlyMap<string, { readonly name: string; readonly text: string }>;

  constructor(readonly document: ToolkitPlanDocument) {
    const layout: Record<string, string> = {};
    for (const [key, value] of Object.entries(document.layout)) layout[key] = fill(value, layout, new Map());
    this.layout = layout;
    const scripts = new Map<string, { name: string; text: string }>();
    for (const [key, script] of Object.entries(document.scripts)) {
      scripts.set(key, { name: script.name, text: script.lines.map((line) => fill(line, layout, new Map())).join('\n') });
    }
    this.scripts = scripts;
  }

  /** A layout entry; throws when the plan has none of that name. */
  path(key: string): string {
    const value = this.layout[key];
    if (value === undefined) throw new PlanError(`the toolkit plan's layout has no ${key}`);
    return value;
  }

  /** A script's text; throws when the plan has none of that name. */
  script(key: string): { readonly name: string; readonly text: string } {
    const script = this.scripts.get(key);
    if (!script) throw new PlanError(`the toolkit plan has no script ${key}`);
    return script;
  }

  private values(inputs: PlanInputs): Record<string, string> {
    const values: Record<string, string> = { ...this.layout };
    for (const [key, value] of Object.entries(inputs)) {
      if (key in this.layout) throw new PlanError(`input ${key} would hide a layout entry`);
      values[key] = String(value);
    }
    return values;
  }

  /** The argv of one diagnostic (`backtrace`, `coreDump`, ...) for these inputs, every one it names. */
  diagnosticArgv(name: string, inputs: PlanInputs): readonly [string, ...string[]] {
    const diagnostic = this.document.diagnostics[name];
    if (!diagnostic) throw new PlanError(`the toolkit plan has no diagnostic ${name}`);
    const given = Object.keys(inputs).sort();
    if (given.join(',') !== [...diagnostic.inputs].sort().join(',')) throw new PlanError(`${name} takes ${diagnostic.inputs.join(', ')}, not ${given.join(', ')}`);
    const values = this.values(inputs);
    return nonEmpty(diagnostic.argv.map((item) => fill(item, values, this.scripts)));
  }

  /** The steps of one section with placeholders filled; a `check-hashes` argv is followed by every manifest file's guest path. */
  steps(section: StepSection, inputs: PlanInputs, manifestFiles: readonly { readonly path: string; readonly sha256: string }[] = []): readonly FilledStep[] {
    const values = this.values(inputs);
    const text = (value: string): string => fill(value, values, this.scripts);
    return this.document.steps[section].map((step): FilledStep => {
      switch (step.kind) {
        case 'put':
          return { kind: 'put', source: step.source, guestPath: text(step.guestPath) };
        case 'exec':
          return { kind: 'exec', purpose: step.purpose, argv: nonEmpty(step.argv.map(text)), timeoutSeconds: step.timeoutSeconds };
        case 'check-file':
          return { kind: 'check-file', guestPath: text(step.guestPath), sha256: text(step.sha256) };
        case 'check-hashes': {
          const expected = manifestFiles.map((file) => ({ guestPath: `${this.path('toolkitDir')}/${file.path}`, sha256: file.sha256 }));
          return { kind: 'check-hashes', argv: nonEmpty([...step.argv.map(text), ...expected.map((file) => file.guestPath)]), timeoutSeconds: step.timeoutSeconds, expected };
        }
      }
    });
  }
}

/** Reads a plan document (for tests that load a changed copy). */
export function parseToolkitPlan(document: unknown): ToolkitPlan {
  return new ToolkitPlan(toolkitPlanSchema.parse(document));
}

/** The plan shipped with the helper: the one definition both sides run. */
export const TOOLKIT_PLAN = parseToolkitPlan(planDocument);
