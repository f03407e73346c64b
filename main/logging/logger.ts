import { redact } from './redact';

/** How loud a log line is. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where log lines go: stderr by default, a file in the app. */
export type LogSink = (line: string) => void;

/** A logger for one area of the app. */
export interface Logger {
  debug(message: string, detail?: unknown): void;
  info(message: string, detail?: unknown): void;
  warn(message: string, detail?: unknown): void;
  error(message: string, detail?: unknown): void;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let sink: LogSink = (line) => process.stderr.write(line + '\n');
let threshold: LogLevel = process.env['CIVIC_LOG_LEVEL'] === 'debug' ? 'debug' : 'info';

/** Sends every later log line to a new sink (the app's log file, a test's array). */
export function setLogSink(next: LogSink, level: LogLevel = threshold): void {
  sink = next;
  threshold = level;
}

function describe(detail: unknown): string {
  if (detail === undefined) return '';
  if (detail instanceof Error) return ` ${detail.name}: ${detail.message}${detail.stack ? `\n${detail.stack}` : ''}`;
  try {
    return ' ' + JSON.stringify(detail);
  } catch {
    return ' [unserialisable detail]';
  }
}

/**
 * Creates a logger whose lines are tagged with the area and redacted.
 *
 * Every line passes through `redact`, so a password in an error's text never reaches the disk.
 */
export function createLogger(area: string): Logger {
  const write = (level: LogLevel, message: string, detail?: unknown): void => {
    if (order[level] < order[threshold]) return;
    sink(redact(`${new Date().toISOString()} ${level.toUpperCase()} [${area}] ${message}${describe(detail)}`));
  };
  return {
    debug: (message, detail) => write('debug', message, detail),
    info: (message, detail) => write('info', message, detail),
    warn: (message, detail) => write('warn', message, detail),
    error: (message, detail) => write('error', message, detail),
  };
}
