import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// The lint configuration itself under test: a deliberate import in each banned direction must fail
// `npm run lint` with the layer rule, and the allowed directions must pass.
const eslint = new ESLint({ cwd: process.cwd() });

async function layerErrors(filePath: string, specifier: string): Promise<string[]> {
  const code = `import { value } from '${specifier}';\nexport const copy = value;\n`;
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'civic/layers' || message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

const BANNED: ReadonlyArray<readonly [string, string, string]> = [
  ['leaf into transport', 'main/hosts/probe-file.ts', '../ssh/ssh-service'],
  ['leaf into a capture model', 'main/bundle/probe-file.ts', '../captures/capture-rows'],
  ['leaf into a feature', 'main/jobs/probe-file.ts', '../sessions/hosts-service'],
  ['transport into the helper client', 'main/ssh/probe-file.ts', '../helper-client/helper-job'],
  ['helper client into a feature', 'main/helper-client/probe-file.ts', '../capture-session/capture-pipeline'],
  ['capture model into a feature', 'main/captures/probe-file.ts', '../review/review-queries'],
  ['capture model sideways', 'main/detector/probe-file.ts', '../captures/capture-service'],
  ['feature sideways', 'main/capture-session/probe-file.ts', '../sessions/hosts-service'],
  ['feature into the service factory', 'main/review/probe-file.ts', '../services'],
  ['service factory into the contract', 'main/services.ts', './contract/dispatch'],
  ['contract into an adapter', 'main/contract/probe-file.ts', '../web/web-server'],
  ['adapter sideways', 'main/web/probe-file.ts', '../electron/main-window'],
  ['adapter into an entry point', 'main/electron/probe-file.ts', '../cli/civic'],
  ['main into resources', 'main/capture-session/probe-file.ts', '../../resources/toolkit/build-toolkit'],
  ['main into resources code beside data', 'main/toolkit/probe-file.ts', '../../resources/helper/civic_helper/toolkit_plan'],
  ['the toolkit leaf into a feature', 'main/toolkit/probe-file.ts', '../capture-session/local-toolkit'],
  ['resources into main', 'resources/samples/probe-file.ts', '../../main/bundle/bundle-writer'],
  ['store into features', 'renderer/src/store/probe-file.ts', '../features/hosts/vm-list'],
  ['renderer into main', 'renderer/src/features/probe-file.ts', '../../../main/errors'],
];

const ALLOWED: ReadonlyArray<readonly [string, string, string]> = [
  ['entry point into anything', 'main/cli/probe-file.ts', '../sessions/hosts-service'],
  ['feature into a capture model', 'main/review/probe-file.ts', '../captures/capture-service'],
  ['feature into a leaf', 'main/sessions/probe-file.ts', '../jobs/job-runner'],
  ['leaf into a leaf', 'main/bundle/probe-file.ts', '../logging/logger'],
  ['anything into the contract types', 'main/ssh/probe-file.ts', '../../preload/api'],
  ['within its own folder', 'main/review/probe-file.ts', './process-query'],
  ['feature into the helper client', 'main/capture-session/probe-file.ts', '../helper-client/helper-job'],
  ['store into its own logic', 'renderer/src/store/probe-file.ts', './logic/apply-job-progress'],
  ['main into resources data (JSON the helper ships)', 'main/toolkit/probe-file.ts', '../../resources/helper/civic_helper/toolkit_plan.json'],
  ['a feature into the toolkit leaf', 'main/capture-session/probe-file.ts', '../toolkit/injection-plan'],
];

describe('the layer map in lint', () => {
  // The first lint loads the whole configuration and its plugins, which on a busy machine takes longer
  // than a test's default budget; do it once here so each case below is only its own lint.
  beforeAll(async () => {
    await layerErrors('main/jobs/probe-file.ts', '../logging/logger');
  }, 120_000);

  it.each(BANNED)('refuses %s', async (_name, filePath, specifier) => {
    expect(await layerErrors(filePath, specifier)).not.toEqual([]);
  });

  it.each(ALLOWED)('allows %s', async (_name, filePath, specifier) => {
    expect(await layerErrors(filePath, specifier)).toEqual([]);
  });
});
