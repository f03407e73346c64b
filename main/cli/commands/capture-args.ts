/** The parsed arguments of a command that takes one capture path and some flags. */
export type CaptureArgs =
  | { readonly kind: 'run'; readonly path: string; readonly flags: ReadonlySet<string> }
  | { readonly kind: 'help' }
  | { readonly kind: 'usage-error'; readonly reason: string };

/**
 * Parses `<capture> [--flag ...]`: exactly one path, only the flags given as allowed.
 *
 * `--` ends the flags, so a capture whose name starts with `-` can still be named.
 */
export function parseCaptureArgs(args: readonly string[], allowedFlags: readonly string[]): CaptureArgs {
  const flags = new Set<string>();
  const paths: string[] = [];
  let flagsEnded = false;
  for (const arg of args) {
    if (!flagsEnded && arg === '--') flagsEnded = true;
    else if (!flagsEnded && (arg === '--help' || arg === '-h')) return { kind: 'help' };
    else if (!flagsEnded && arg.startsWith('-') && arg !== '-') {
      if (!allowedFlags.includes(arg)) return { kind: 'usage-error', reason: `unknown option ${JSON.stringify(arg)}` };
      flags.add(arg);
    } else paths.push(arg);
  }
  const [path, ...extra] = paths;
  if (path === undefined) return { kind: 'usage-error', reason: 'a capture path is required' };
  if (extra.length > 0) return { kind: 'usage-error', reason: 'only one capture path may be given' };
  return { kind: 'run', path, flags };
}
