import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHelperBundle } from '../../../../main/helper-client/helper-deploy';
import { parseToolkitPlan, TOOLKIT_PLAN, type ToolkitPlanDocument } from '../../../../main/toolkit/toolkit-plan';
import { dumpAppPlan, type AppPlanDump, type DumpedStep, type PlanDumpInputs } from './toolkit-plan-dump';

// The app and the helper read one toolkit plan (resources/helper/civic_helper/toolkit_plan.json). This test
// holds the app to the expected argv and steps both sides share, and runs the helper itself (as the deploy
// would put it on a host) to see it produce the same ones. Its Python twin is tests/test_toolkit_plan.py.

const run = promisify(execFile);
const HELPER_DIR = join(__dirname, '../../../../resources/helper');
const PLAN_PATH = join(HELPER_DIR, 'civic_helper/toolkit_plan.json');
const EXPECTED_PATH = join(HELPER_DIR, 'tests/toolkit_plan_expected.json');
const DUMP_SCRIPT = join(HELPER_DIR, 'tests/toolkit_plan_dump.py');

interface Expected {
  readonly inputs: PlanDumpInputs;
  readonly diagnostics: AppPlanDump['diagnostics'];
  readonly steps: AppPlanDump['steps'];
}

interface HelperDump {
  readonly diagnostics: Record<string, string[]>;
  readonly inject: DumpedStep[];
  readonly remove: DumpedStep[];
  readonly removed: boolean;
  readonly planPath: string | null;
}

let expected: Expected;
let work: string;
let deployedHelper: string;
let inputsPath: string;

/** Runs the helper's dump against the deployed copy, optionally with another plan file. */
async function helperDump(planPath?: string): Promise<HelperDump> {
  const { stdout } = await run('python3', [DUMP_SCRIPT, inputsPath, ...(planPath === undefined ? [] : [planPath])], {
    env: { ...process.env, CIVIC_HELPER_DIR: deployedHelper, PYTHONDONTWRITEBYTECODE: '1' },
  });
  return JSON.parse(stdout) as HelperDump;
}

/** Key order does not matter between the two languages; values do. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, inner]) => [key, canonical(inner)]));
  }
  return value;
}

beforeAll(async () => {
  expected = JSON.parse(await readFile(EXPECTED_PATH, 'utf8')) as Expected;
  work = await mkdtemp(join(tmpdir(), 'civic-plan-'));
  inputsPath = join(work, 'inputs.json');
  await writeFile(inputsPath, JSON.stringify({ inputs: expected.inputs }));
  // The helper exactly as a deploy uploads it (the same file selection), so a plan left out of it fails here.
  deployedHelper = join(work, 'helper');
  const bundle = await loadHelperBundle(HELPER_DIR, '0.0.0-test');
  for (const file of bundle.files) {
    const target = join(deployedHelper, ...file.path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.data);
  }
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the toolkit plan, app side', () => {
  it('builds the expected argv for every diagnostic', () => {
    const app = dumpAppPlan(expected.inputs);
    expect(Object.keys(app.diagnostics).sort()).toEqual(Object.keys(expected.diagnostics).sort());
    for (const [name, argv] of Object.entries(expected.diagnostics)) expect(app.diagnostics[name], name).toEqual(argv);
  });

  it('builds the expected injection and removal steps', () => {
    expect(canonical(dumpAppPlan(expected.inputs).steps)).toEqual(canonical(expected.steps));
  });

  it('reads the plan file the helper ships, not a copy of it', async () => {
    expect(TOOLKIT_PLAN.document).toEqual(JSON.parse(await readFile(PLAN_PATH, 'utf8')));
  });
});

describe('the app and the helper agree', () => {
  it('on every diagnostic argv, run by the helper as deployed', async () => {
    const helper = await helperDump();
    expect(helper.planPath).toBe(join(deployedHelper, 'civic_helper', 'toolkit_plan.json'));
    expect(helper.diagnostics).toEqual(dumpAppPlan(expected.inputs).diagnostics);
  });

  it('on the injection and removal steps the helper carries out', async () => {
    const helper = await helperDump();
    const app = dumpAppPlan(expected.inputs).steps;
    // The helper also makes the output folder after injecting and stops toolkit programs before removal.
    expect(canonical(helper.inject)).toEqual(canonical([...app.injection, ...app.outputFolder]));
    expect(canonical(helper.remove)).toEqual(canonical([...app.stop, ...app.removal]));
    expect(helper.removed).toBe(true);
  });

  it('and a changed argv on one side is caught', async () => {
    const changed = structuredClone(TOOLKIT_PLAN.document) as ToolkitPlanDocument & { diagnostics: Record<string, { argv: string[] }> };
    const strace = changed.diagnostics['syscallSummary'];
    if (!strace) throw new Error('the plan has no syscallSummary');
    strace.argv = strace.argv.map((item) => (item === '-f' ? '-ff' : item));
    const mount = changed.steps.injection[3];
    if (mount?.kind !== 'exec') throw new Error('the fourth injection step is not the mount');
    mount.argv = [...mount.argv, 'extra'];
    const changedPath = join(work, 'changed-plan.json');
    await writeFile(changedPath, JSON.stringify(changed));

    // The helper on the changed plan no longer agrees with the app on the shipped one...
    const helper = await helperDump(changedPath);
    const app = dumpAppPlan(expected.inputs);
    expect(helper.diagnostics['syscallSummary']).not.toEqual(app.diagnostics['syscallSummary']);
    expect(helper.diagnostics['backtrace']).toEqual(app.diagnostics['backtrace']);
    expect(canonical(helper.inject)).not.toEqual(canonical([...app.steps.injection, ...app.steps.outputFolder]));
    // ...and the app on the changed plan no longer matches the expected argv.
    const appChanged = parseToolkitPlan(changed).diagnosticArgv('syscallSummary', { pid: expected.inputs.pid, seconds: expected.inputs.seconds });
    expect(appChanged).not.toEqual(expected.diagnostics['syscallSummary']);
    expect(appChanged).toContain('-ff');
  });
});
