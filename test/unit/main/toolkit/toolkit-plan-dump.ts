import { backtraceArgv, collectorArgv, coreDumpArgv, kernelStacksArgv, syscallSummaryArgv, type CollectorDocument } from '../../../../main/toolkit/diagnostic-commands';
import { injectionSteps, removalSteps, type ToolkitStep } from '../../../../main/toolkit/injection-plan';
import { GUEST_OUTPUT_DIR } from '../../../../main/toolkit/toolkit-layout';
import type { ToolkitManifest } from '../../../../main/toolkit/toolkit-manifest';
import { TOOLKIT_PLAN, type FilledStep } from '../../../../main/toolkit/toolkit-plan';

/** The inputs the agreement tests give both sides (`inputs` of resources/helper/tests/toolkit_plan_expected.json). */
export interface PlanDumpInputs {
  readonly pid: number;
  readonly seconds: number;
  readonly document: CollectorDocument;
  readonly bootstrap: string;
  readonly busyboxSha256: string;
  readonly manifestFiles: ToolkitManifest['files'];
}

/** A step as both sides report it: seconds, and no field a kind does not have. */
export type DumpedStep = Readonly<Record<string, unknown>>;

/** What the app makes of the plan: every diagnostic's argv and every step section. */
export interface AppPlanDump {
  readonly diagnostics: Readonly<Record<string, readonly string[]>>;
  readonly steps: Readonly<Record<'injection' | 'outputFolder' | 'stop' | 'removal', readonly DumpedStep[]>>;
}

function fromToolkitStep(step: ToolkitStep): DumpedStep {
  switch (step.kind) {
    case 'exec':
      return { kind: step.kind, purpose: step.purpose, argv: [...step.argv], timeoutSeconds: step.timeoutMs / 1000 };
    case 'check-hashes':
      return { kind: step.kind, argv: [...step.argv], timeoutSeconds: step.timeoutMs / 1000, expected: step.expected };
    default:
      return { ...step };
  }
}

function fromFilledStep(step: FilledStep): DumpedStep {
  return step.kind === 'exec' || step.kind === 'check-hashes' ? { ...step, argv: [...step.argv] } : { ...step };
}

/**
 * The app's argv and steps for these inputs, through the functions the capture code calls.
 *
 * The helper runs two sections the app does not (it makes the output folder after injecting and stops
 * toolkit programs before removal); those come straight from the plan.
 */
export function dumpAppPlan(inputs: PlanDumpInputs): AppPlanDump {
  const manifest: ToolkitManifest = { schemaVersion: 1, key: '0'.repeat(20), guestDir: '/run/civic', packages: [], files: inputs.manifestFiles, totalBytes: 0 };
  const values = { bootstrap: inputs.bootstrap, busyboxSha256: inputs.busyboxSha256 };
  return {
    diagnostics: {
      backtrace: [...backtraceArgv(inputs.pid)],
      coreDump: [...coreDumpArgv(inputs.pid)],
      kernelStacks: [...kernelStacksArgv(inputs.pid)],
      syscallSummary: [...syscallSummaryArgv(inputs.pid, inputs.seconds)],
      collector: [...collectorArgv(inputs.document, `${GUEST_OUTPUT_DIR}/${inputs.document}.json`)],
    },
    steps: {
      injection: injectionSteps(manifest, inputs.bootstrap).map(fromToolkitStep),
      outputFolder: TOOLKIT_PLAN.steps('outputFolder', values).map(fromFilledStep),
      stop: TOOLKIT_PLAN.steps('stop', values).map(fromFilledStep),
      removal: removalSteps(inputs.bootstrap).map(fromToolkitStep),
    },
  };
}
