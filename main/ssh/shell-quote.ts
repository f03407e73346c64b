/**
 * Quotes one argument for a POSIX shell so it reaches the program byte for byte.
 *
 * Single quotes keep everything literal (`$()`, backticks, `;`, newlines, non-ASCII); a single quote
 * itself is closed, escaped and reopened. Plain words stay unquoted so logs stay readable.
 */
export function quoteArgument(argument: string): string {
  if (argument.includes('\0')) throw new TypeError('A shell argument cannot contain a NUL byte.');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(argument)) return argument;
  return `'${argument.replace(/'/g, `'\\''`)}'`;
}

/** Quotes an argv into one command line for a POSIX shell (what `ssh host CMD` runs). */
export function quoteCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError('A command needs at least a program name.');
  return argv.map(quoteArgument).join(' ');
}
