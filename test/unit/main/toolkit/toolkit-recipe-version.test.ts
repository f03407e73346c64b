import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TOOLKIT_RECIPE_VERSION } from '../../../../main/toolkit/build-toolkit';

// The toolkit's cache key cannot hash the build's own sources (a bundled app has none), so it carries
// TOOLKIT_RECIPE_VERSION instead. This pin makes a change to those sources a conscious decision: when
// this fails, bump TOOLKIT_RECIPE_VERSION if the change alters what is built (programs, libraries, flags,
// layout, manifest), then put the new version and digest here; for a change that builds the same files
// (a comment, a log line), update the digest alone.
const RECIPE_SOURCES = ['build-toolkit.ts', 'compile-collector.ts', 'toolkit-layout.ts', 'toolkit-manifest.ts'] as const;
const PINNED = { version: 3, sha256: '5a689ed4b1ed06870a1b45055e28ebbde11552c11ea659eb7db64c27bf813368' };

async function recipeDigest(): Promise<string> {
  const hash = createHash('sha256');
  for (const name of RECIPE_SOURCES) hash.update(`source ${name}\n`).update(await readFile(join(__dirname, '../../../../main/toolkit', name)));
  return hash.digest('hex');
}

describe('TOOLKIT_RECIPE_VERSION', () => {
  it('was looked at when the build recipe last changed', async () => {
    expect({ version: TOOLKIT_RECIPE_VERSION, sha256: await recipeDigest() }).toEqual(PINNED);
  });
});
