/**
 * A strict parser of the Prometheus text exposition format, version 0.0.4.
 *
 * Written here rather than taken from npm: the parsers there (parse-prometheus-text-format,
 * prom2javascript) have had no release since 2024, ship no types or check little, and none caps its
 * input, while agent output from a twin is guest data and so hostile. This one reads line by line,
 * never throws for bad input, reports each bad line with its number, and stops at fixed limits.
 */

/** The metric types of `# TYPE`. */
export type PrometheusType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One sample line. */
export interface PrometheusSample {
  readonly name: string;
  /** The family it belongs to: `x` for `x_bucket`, `x_sum`, `x_count` of a histogram or summary `x`. */
  readonly family: string;
  /** A prototype-free record: a label named `__proto__` is just a label. */
  readonly labels: Readonly<Record<string, string>>;
  /** NaN, +Inf and -Inf are kept as such. */
  readonly value: number;
  /** Milliseconds since the epoch, when the line gave one. */
  readonly timestampMs: number | null;
  readonly line: number;
}

/** What `# HELP` and `# TYPE` said about a family. */
export interface PrometheusFamily {
  readonly name: string;
  readonly type: PrometheusType;
  readonly help: string | null;
}

/** A line that was not understood; it is skipped. */
export interface PrometheusProblem {
  readonly line: number;
  readonly message: string;
}

/** The parsed exposition. */
export interface PrometheusScrape {
  readonly samples: readonly PrometheusSample[];
  readonly families: ReadonlyMap<string, PrometheusFamily>;
  /** The first `maxProblems` problems; `problemCount` counts them all. */
  readonly problems: readonly PrometheusProblem[];
  readonly problemCount: number;
  /** Set when a limit stopped the parser before the end of the text. */
  readonly truncated: boolean;
}

/** Bounds on hostile input. */
export interface PrometheusLimits {
  readonly maxCharacters: number;
  readonly maxLineLength: number;
  readonly maxSamples: number;
  readonly maxLabelsPerSample: number;
  readonly maxProblems: number;
}

/** node_exporter on a large host writes about 2 MB and 10,000 samples; these leave room and no more. */
export const DEFAULT_PROMETHEUS_LIMITS: PrometheusLimits = {
  maxCharacters: 32 * 1024 * 1024,
  maxLineLength: 64 * 1024,
  maxSamples: 200_000,
  maxLabelsPerSample: 64,
  maxProblems: 100,
};

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const METRIC_NAME_START = /[a-zA-Z_:]/;
const METRIC_NAME_PART = /[a-zA-Z0-9_:]/;
const LABEL_NAME_START = /[a-zA-Z_]/;
const LABEL_NAME_PART = /[a-zA-Z0-9_]/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Parses an exposition; bad lines become problems, never exceptions. */
export function parsePrometheusText(text: string, limits: Partial<PrometheusLimits> = {}): PrometheusScrape {
  const bounds = { ...DEFAULT_PROMETHEUS_LIMITS, ...limits };
  const samples: PrometheusSample[] = [];
  const families = new Map<string, PrometheusFamily>();
  const sampledFamilies = new Set<string>();
  const seriesSeen = new Set<string>();
  const problems: PrometheusProblem[] = [];
  let problemCount = 0;
  let truncated = text.length > bounds.maxCharacters;
  const report = (line: number, message: string): void => {
    problemCount++;
    if (problems.length < bounds.maxProblems) problems.push({ line, message });
  };
  const body = truncated ? text.slice(0, bounds.maxCharacters) : text;
  if (truncated) report(0, `The text is longer than ${bounds.maxCharacters} characters; the rest was not read.`);

  let lineNumber = 0;
  for (let start = 0; start < body.length; ) {
    const newline = body.indexOf('\n', start);
    const end = newline < 0 ? body.length : newline;
    lineNumber++;
    const raw = body.slice(start, end);
    start = end + 1;
    if (raw.length > bounds.maxLineLength) {
      report(lineNumber, `The line is longer than ${bounds.maxLineLength} characters.`);
      continue;
    }
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    if (line.trimStart().startsWith('#')) {
      const problem = readComment(line, families, sampledFamilies);
      if (problem !== null) report(lineNumber, problem);
      continue;
    }
    if (samples.length >= bounds.maxSamples) {
      truncated = true;
      report(lineNumber, `More than ${bounds.maxSamples} samples; the rest was not read.`);
      break;
    }
    const parsed = readSample(line, bounds.maxLabelsPerSample);
    if (typeof parsed === 'string') {
      report(lineNumber, parsed);
      continue;
    }
    const seriesKey = `${parsed.name}{${Object.keys(parsed.labels).sort().map((name) => `${name}=${JSON.stringify(parsed.labels[name])}`).join(',')}}`;
    if (seriesSeen.has(seriesKey)) {
      report(lineNumber, `${parsed.name} repeats a series given earlier; the repeat was skipped.`);
      continue;
    }
    seriesSeen.add(seriesKey);
    const family = familyOf(parsed.name, families);
    sampledFamilies.add(family);
    samples.push({ ...parsed, family, line: lineNumber });
  }
  return { samples, families, problems, problemCount, truncated };
}

/** The samples named `name` whose labels include every pair of `labels`. */
export function samplesNamed(scrape: PrometheusScrape, name: string, labels: Readonly<Record<string, string>> = {}): PrometheusSample[] {
  const wanted = Object.entries(labels);
  return scrape.samples.filter((sample) => sample.name === name && wanted.every(([label, value]) => sample.labels[label] === value));
}

/** Reads `# HELP` and `# TYPE` into `families`; other comments are allowed and ignored. */
function readComment(line: string, families: Map<string, PrometheusFamily>, sampledFamilies: ReadonlySet<string>): string | null {
  const match = /^\s*#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (match === null) return null;
  const [, keyword, name = '', rest = ''] = match;
  if (!METRIC_NAME.test(name)) return `'${shorten(name)}' is not a metric name.`;
  const known = families.get(name);
  if (keyword === 'HELP') {
    if (known !== undefined && known.help !== null) return `A second HELP for ${name}.`;
    const help = unescapeHelp(rest);
    if (help === null) return `The HELP of ${name} has an escape other than \\\\ and \\n.`;
    families.set(name, { name, type: known?.type ?? 'untyped', help });
    return null;
  }
  const type = rest.trim();
  if (!TYPES.has(type)) return `'${shorten(type)}' is not a metric type.`;
  if (known !== undefined && known.type !== 'untyped') return `A second TYPE for ${name}.`;
  if (sampledFamilies.has(name)) return `The TYPE of ${name} comes after its samples.`;
  families.set(name, { name, type: type as PrometheusType, help: known?.help ?? null });
  return null;
}

type ParsedSample = Omit<PrometheusSample, 'family' | 'line'>;

/** One sample line, or why it is not one. */
function readSample(line: string, maxLabels: number): ParsedSample | string {
  let index = skipBlanks(line, 0);
  const nameStart = index;
  if (!METRIC_NAME_START.test(line[index] ?? '')) return 'The line starts with neither a metric name nor #.';
  while (index < line.length && METRIC_NAME_PART.test(line[index] as string)) index++;
  const name = line.slice(nameStart, index);
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  let labelCount = 0;
  // Go's parser, the reference, allows blanks between the name and `{`.
  const labelsStart = skipBlanks(line, index);
  if (line[labelsStart] === '{') {
    index = labelsStart + 1;
    for (;;) {
      index = skipBlanks(line, index);
      if (line[index] === '}') break;
      const labelStart = index;
      if (!LABEL_NAME_START.test(line[index] ?? '')) return `${name}: a label name was expected at column ${index + 1}.`;
      while (index < line.length && LABEL_NAME_PART.test(line[index] as string)) index++;
      const labelName = line.slice(labelStart, index);
      index = skipBlanks(line, index);
      if (line[index] !== '=') return `${name}: '=' was expected after label ${labelName}.`;
      index = skipBlanks(line, index + 1);
      if (line[index] !== '"') return `${name}: the value of label ${labelName} is not quoted.`;
      const value = readQuoted(line, index + 1);
      if (typeof value === 'string') return `${name}: label ${labelName}: ${value}`;
      if (Object.prototype.hasOwnProperty.call(labels, labelName)) return `${name}: label ${labelName} is given twice.`;
      if (++labelCount > maxLabels) return `${name}: more than ${maxLabels} labels.`;
      labels[labelName] = value.text;
      index = skipBlanks(line, value.next);
      if (line[index] === ',') {
        index++;
        continue;
      }
      if (line[index] !== '}') return `${name}: ',' or '}' was expected at column ${index + 1}.`;
      break;
    }
    index++;
  }
  const fields = line.slice(index).trim().split(/[ \t]+/);
  if (index < line.length && !/[ \t]/.test(line[index] as string)) return `${name}: a blank was expected before the value.`;
  if (fields.length === 0 || fields[0] === '' || fields.length > 2) return `${name}: expected a value and at most a timestamp after the name.`;
  const value = parseValue(fields[0] as string);
  if (value === null) return `${name}: '${shorten(fields[0] as string)}' is not a number.`;
  let timestampMs: number | null = null;
  if (fields[1] !== undefined) {
    if (!/^-?\d{1,16}$/.test(fields[1])) return `${name}: '${shorten(fields[1])}' is not a timestamp in milliseconds.`;
    timestampMs = Number(fields[1]);
  }
  return { name, labels, value, timestampMs };
}

/** A label value from after its opening quote: the text and where the closing quote ends. */
function readQuoted(line: string, start: number): { text: string; next: number } | string {
  let text = '';
  for (let index = start; index < line.length; index++) {
    const character = line[index] as string;
    if (character === '"') return { text, next: index + 1 };
    if (character !== '\\') {
      text += character;
      continue;
    }
    const escaped = line[++index];
    if (escaped === '\\') text += '\\';
    else if (escaped === '"') text += '"';
    else if (escaped === 'n') text += '\n';
    else return `the escape \\${escaped ?? ''} is not one of \\\\, \\" and \\n.`;
  }
  return 'the quoted value never closes.';
}

function unescapeHelp(text: string): string | null {
  let help = '';
  for (let index = 0; index < text.length; index++) {
    const character = text[index] as string;
    if (character !== '\\') {
      help += character;
      continue;
    }
    const escaped = text[++index];
    if (escaped === '\\') help += '\\';
    else if (escaped === 'n') help += '\n';
    else return null;
  }
  return help;
}

/** A sample value as Go's ParseFloat reads the forms exporters write: decimals, exponents, NaN, ±Inf. */
function parseValue(text: string): number | null {
  const lower = text.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity') return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  if (!DECIMAL.test(text)) return null;
  return Number(text);
}

function familyOf(name: string, families: ReadonlyMap<string, PrometheusFamily>): string {
  if (families.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const type = families.get(base)?.type;
    if (type === 'histogram' || (type === 'summary' && suffix !== '_bucket')) return base;
  }
  return name;
}

function skipBlanks(line: string, index: number): number {
  let at = index;
  while (line[at] === ' ' || line[at] === '\t') at++;
  return at;
}

function shorten(text: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return printable.length > 60 ? `${printable.slice(0, 60)}…` : printable;
}
