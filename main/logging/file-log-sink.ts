import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LogSink } from './logger';

/**
 * A sink that appends lines to a file (and mirrors them to stderr).
 *
 * Synchronous on purpose: the last lines before a crash are the ones that matter.
 */
export function createFileLogSink(path: string): LogSink {
  mkdirSync(dirname(path), { recursive: true });
  return (line) => {
    process.stderr.write(line + '\n');
    try {
      appendFileSync(path, line + '\n', { mode: 0o600 });
    } catch {
      // A full or read-only disk must not take the app down; stderr still has the line.
    }
  };
}
