import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runHostCommand } from './host-command';

/** The collector's C source. */
export const COLLECTOR_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'collector', 'civic-collect.c');

/** Compiles the collector as a stripped static executable (`gcc -static -O2`, libc only). */
export async function compileCollector(outputPath: string, source: string = COLLECTOR_SOURCE): Promise<void> {
  await runHostCommand('gcc', ['-static', '-O2', '-s', '-Wall', '-Wextra', '-Wno-format-truncation', '-Werror', '-o', outputPath, source]);
}
