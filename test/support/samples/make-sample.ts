import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packBundle } from '../../../main/bundle/pack-bundle';
import { writeSampleBundle } from './sample-capture';

// Regenerates resources/samples/sample.civic: `npx tsx test/support/samples/make-sample.ts [output]`.
// The output is byte-for-byte the same on every run (fixed ids, times and seed); a test regenerates
// it into a temporary file and compares it with the committed one.

async function main(): Promise<void> {
  const output = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'resources', 'samples', 'sample.civic'));
  const workspace = await mkdtemp(join(tmpdir(), 'civic-sample-'));
  try {
    const folder = join(workspace, 'sample');
    await writeSampleBundle(folder);
    const { size } = await packBundle(folder, output);
    process.stdout.write(`wrote ${output} (${size} bytes)\n`);
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`make-sample failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
