/**
 * Where a CLI command writes: standard output and standard error.
 *
 * Text is written as given (commands end their lines with `\n`), so tests can capture it in arrays.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}
