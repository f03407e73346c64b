import type { WorkbenchError } from '../../../preload/api';

/** A byte count in words a person reads at a glance (binary units). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** An error as the CLI prints it: code, message, what it is about and what to do. */
export function describeFailure(error: WorkbenchError): string {
  const subject = error.subject === undefined ? '' : ` (${error.subject})`;
  return `Error      ${error.code}${subject}: ${error.message}\nHint       ${error.hint}\n`;
}
