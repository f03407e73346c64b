import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runHostCommand } from './host-command';

/**
 * The collector's C source under a resources folder (`resources/` in a checkout, the packaged app's
 * `process.resourcesPath`, where electron-builder puts it at `toolkit/collector/`).
 */
export function collectorSourceIn(resourcesDir: string): string {
  return join(resourcesDir, 'toolkit', 'collector', 'civic-collect.c');
}

/**
 * The collector's C source in this checkout. It is data (compiled on the workstation, never imported),
 * so it stays in `resources/`; a bundled app is told where its copy is instead of using this.
 */
export const COLLECTOR_SOURCE = collectorSourceIn(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources'));

/** Compiles the collector as a stripped static executable (`gcc -static -O2`, libc only). */
export async function compileCollector(outputPath: string, source: string = COLLECTOR_SOURCE): Promise<void> {
  await runHostCommand('gcc', ['-static', '-O2', '-s', '-Wall', '-Wextra', '-Wno-format-truncation', '-Werror', '-o', outputPath, source]);
}
