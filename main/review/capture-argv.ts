/**
 * The capture named on a launch command line, or `null`.
 *
 * Accepts `--capture=PATH`, `--capture PATH`, or a bare argument ending in `.civic`. The first argument
 * is the executable and is skipped; Electron and Chromium switches are ignored.
 */
export function captureFromArgv(argv: readonly string[]): string | null {
  for (let position = 1; position < argv.length; position += 1) {
    const argument = argv[position] ?? '';
    if (argument.startsWith('--capture=')) return nonEmpty(argument.slice('--capture='.length));
    if (argument === '--capture') return nonEmpty(argv[position + 1] ?? '');
    if (argument === '--') continue;
    if (!argument.startsWith('-') && argument.toLowerCase().endsWith('.civic')) return argument;
  }
  return null;
}

function nonEmpty(path: string): string | null {
  return path.length > 0 && path.length <= 4096 ? path : null;
}
