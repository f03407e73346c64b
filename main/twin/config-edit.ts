import { WorkbenchFailure } from '../errors';

/**
 * How a configuration file spells a setting.
 *
 * - `key-equals-value`: `key = value` or `key=value`, `#` or `;` comment lines, `#` also ends a
 *   value (civic-web strips from `#` on); `[section]` headers open a context.
 * - `key-space-value`: `key value`, `#` comment lines; one context only.
 * - `nginx`: `key value;` directives, `#` comments, `name ... { ... }` blocks as contexts.
 */
export type ConfigSyntax = 'key-equals-value' | 'key-space-value' | 'nginx';

/** Which setting: its key, and the blocks or section around it (none: the main context). */
export interface ParameterAddress {
  readonly key: string;
  /** nginx: block names outermost first (`['events']`); key-equals-value: at most one section name. */
  readonly context?: readonly string[];
}

/** A setting as found in the file. */
export interface ParameterFound {
  /** The value as written (nginx: all arguments, as written); null when the key is absent. */
  readonly value: string | null;
  /** 1-based; null when absent. */
  readonly line: number | null;
}

/** The file after an edit. */
export interface ParameterEdit {
  readonly text: string;
  /** The value before the edit; null when the key was absent and a line was added. */
  readonly originalValue: string | null;
  /** The 1-based line that now holds the setting. */
  readonly line: number;
  readonly appended: boolean;
}

/** The value of one setting, or null when the file does not set it. */
export function readParameter(text: string, syntax: ConfigSyntax, address: ParameterAddress): ParameterFound {
  const occurrence = singleOccurrence(scan(text, syntax), address);
  return occurrence === null ? { value: null, line: null } : { value: occurrence.value, line: occurrence.line };
}

/**
 * Sets one setting, leaving every other byte of the file as it was.
 *
 * Only the value's own characters are replaced; when the key is absent a line in the file's own style
 * (spacing around `=`, separator, indentation, line ending) is added where that context's settings
 * live. Refused with VALIDATION_FAILED: a key set more than once in its context (which one would the
 * service read?), a value with a newline, control character or leading or trailing blank, a `#` in a
 * key-equals-value value, `;{}#` or quotes in an nginx value, an nginx file whose braces or
 * statements do not close, and a file over 4 MiB.
 */
export function setParameter(text: string, syntax: ConfigSyntax, address: ParameterAddress, value: string): ParameterEdit {
  checkValue(syntax, address.key, value);
  const layout = scan(text, syntax);
  const occurrence = singleOccurrence(layout, address);
  if (occurrence !== null) {
    const spacer = occurrence.valueStart === occurrence.valueEnd && occurrence.needsSpaceBeforeEmptyValue ? ' ' : '';
    return {
      text: text.slice(0, occurrence.valueStart) + spacer + value + text.slice(occurrence.valueEnd),
      originalValue: occurrence.value,
      line: occurrence.line,
      appended: false,
    };
  }
  const insertion = insertionFor(text, syntax, layout, address, value);
  const updated = text.slice(0, insertion.offset) + insertion.text + text.slice(insertion.offset);
  return { text: updated, originalValue: null, line: lineAt(updated, insertion.offset + insertion.settingOffset), appended: true };
}

// ---------------------------------------------------------------------------------------------
// Scanning: where each setting and each context is, by character offset
// ---------------------------------------------------------------------------------------------

interface Occurrence {
  readonly key: string;
  readonly context: readonly string[];
  readonly line: number;
  readonly value: string;
  readonly valueStart: number;
  readonly valueEnd: number;
  /** `key =` with nothing after: an inserted value gets a blank first. */
  readonly needsSpaceBeforeEmptyValue: boolean;
  /** Where the setting's line starts, and its indentation. */
  readonly lineStart: number;
  readonly indent: string;
  /** The text between key and value (`' = '`, `'='`, `'\t'`), to copy when adding a line. */
  readonly separator: string;
}

/** A context that can receive a new setting: a section or block, with its own span. */
interface ContextSpan {
  readonly path: readonly string[];
  readonly line: number;
  /** Offset of the line after the header (ini) or after `{` (nginx). */
  readonly bodyStart: number;
  /** Offset of the next section's header line (ini) or of the closing `}` (nginx). */
  readonly bodyEnd: number;
  readonly indent: string;
}

interface Layout {
  readonly occurrences: readonly Occurrence[];
  readonly contexts: readonly ContextSpan[];
  readonly lineEnding: string;
}

interface Line {
  readonly number: number;
  readonly start: number;
  /** Without its line ending. */
  readonly content: string;
  /** Offset just past its line ending. */
  readonly next: number;
}

/** Configuration files are small; a larger one from a guest is refused rather than scanned. */
const MAX_CONFIG_CHARACTERS = 4 * 1024 * 1024;

function scan(text: string, syntax: ConfigSyntax): Layout {
  if (text.length > MAX_CONFIG_CHARACTERS) refuse(`The configuration file is larger than ${MAX_CONFIG_CHARACTERS / 1024 / 1024} MiB; it is not edited.`);
  const lineEnding = detectLineEnding(text);
  switch (syntax) {
    case 'key-equals-value':
      return { ...scanKeyEqualsValue(text), lineEnding };
    case 'key-space-value':
      return { occurrences: scanKeySpaceValue(text), contexts: [], lineEnding };
    case 'nginx':
      return { ...scanNginx(text), lineEnding };
  }
}

function scanKeyEqualsValue(text: string): Pick<Layout, 'occurrences' | 'contexts'> {
  const occurrences: Occurrence[] = [];
  const contexts: ContextSpan[] = [];
  let section: string[] = [];
  for (const line of splitLines(text)) {
    const content = line.content;
    const trimmed = content.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const header = /^\s*\[([^\]]*)\]/.exec(content);
    if (header !== null) {
      const last = contexts[contexts.length - 1];
      if (last !== undefined) contexts[contexts.length - 1] = { ...last, bodyEnd: line.start };
      section = [(header[1] ?? '').trim()];
      contexts.push({ path: section, line: line.number, bodyStart: line.next, bodyEnd: text.length, indent: '' });
      continue;
    }
    const equals = content.indexOf('=');
    if (equals < 0) continue;
    const comment = content.indexOf('#', equals);
    const valueRegion = content.slice(equals + 1, comment < 0 ? content.length : comment);
    const leading = valueRegion.length - valueRegion.trimStart().length;
    const value = valueRegion.trim();
    const keyPart = content.slice(0, equals);
    const indent = /^\s*/.exec(keyPart)?.[0] ?? '';
    const valueStart = line.start + equals + 1 + leading;
    occurrences.push({
      key: keyPart.trim(),
      context: section,
      line: line.number,
      value,
      valueStart,
      valueEnd: valueStart + value.length,
      needsSpaceBeforeEmptyValue: value === '' && leading === 0 && /\s$/.test(keyPart),
      lineStart: line.start,
      indent,
      separator: content.slice(indent.length + keyPart.trim().length, equals + 1 + leading),
    });
  }
  return { occurrences, contexts };
}

function scanKeySpaceValue(text: string): Occurrence[] {
  const occurrences: Occurrence[] = [];
  for (const line of splitLines(text)) {
    const match = /^(\s*)([^\s#]\S*)(\s*)(.*?)\s*$/.exec(line.content);
    if (match === null) continue;
    const [, indent = '', key = '', separator = '', value = ''] = match;
    const valueStart = line.start + indent.length + key.length + separator.length;
    occurrences.push({
      key,
      context: [],
      line: line.number,
      value,
      valueStart,
      valueEnd: valueStart + value.length,
      needsSpaceBeforeEmptyValue: value === '' && separator === '',
      lineStart: line.start,
      indent,
      separator: separator === '' ? ' ' : separator,
    });
  }
  return occurrences;
}

interface NginxToken {
  readonly kind: 'word' | ';' | '{' | '}';
  readonly start: number;
  readonly end: number;
}

/**
 * Tokens of an nginx file: words (quoted ones included, escapes kept), `;`, `{`, `}`; comments dropped.
 */
function nginxTokens(text: string): NginxToken[] {
  const tokens: NginxToken[] = [];
  let index = 0;
  while (index < text.length) {
    const character = text[index] as string;
    if (/\s/.test(character)) {
      index++;
    } else if (character === '#') {
      while (index < text.length && text[index] !== '\n') index++;
    } else if (character === ';' || character === '{' || character === '}') {
      tokens.push({ kind: character, start: index, end: index + 1 });
      index++;
    } else {
      const start = index;
      while (index < text.length && !/[\s;{}]/.test(text[index] as string)) {
        const quote = text[index];
        if ((quote === '"' || quote === "'") && index === start) {
          index++;
          while (index < text.length && text[index] !== quote) index += text[index] === '\\' ? 2 : 1;
          if (index >= text.length) refuse(`An nginx quoted string opened on line ${lineAt(text, start)} never closes.`);
          index++;
          break;
        }
        index += text[index] === '\\' ? 2 : 1;
      }
      tokens.push({ kind: 'word', start, end: Math.min(index, text.length) });
    }
  }
  return tokens;
}

function scanNginx(text: string): Pick<Layout, 'occurrences' | 'contexts'> {
  // One lookup table: counting newlines per directive would be quadratic on a long file.
  const lineOf = lineLocator(text);
  const occurrences: Occurrence[] = [];
  const contexts: ContextSpan[] = [];
  const open: { path: string[]; line: number; bodyStart: number; indent: string }[] = [];
  let words: NginxToken[] = [];
  for (const token of nginxTokens(text)) {
    if (token.kind === 'word') {
      words.push(token);
      continue;
    }
    const path = open.length === 0 ? [] : (open[open.length - 1] as { path: string[] }).path;
    const first = words[0];
    if (token.kind === '}') {
      if (words.length > 0) refuse(`The nginx statement on line ${lineOf((first as NginxToken).start)} has no ';' before '}'.`);
      const block = open.pop();
      if (block === undefined) refuse(`The '}' on line ${lineOf(token.start)} closes no block.`);
      contexts.push({ path: block.path, line: block.line, bodyStart: block.bodyStart, bodyEnd: token.start, indent: block.indent });
    } else if (first === undefined) {
      if (token.kind === '{') refuse(`The '{' on line ${lineOf(token.start)} has no block name.`);
      // A lone ';' is an empty statement nginx accepts.
    } else if (token.kind === '{') {
      open.push({ path: [...path, text.slice(first.start, first.end)], line: lineOf(first.start), bodyStart: token.end, indent: indentAt(text, first.start) });
    } else {
      const args = words.slice(1);
      const firstArgument = args[0];
      const lastArgument = args[args.length - 1];
      const valueStart = firstArgument === undefined ? first.end : firstArgument.start;
      const valueEnd = lastArgument === undefined ? first.end : lastArgument.end;
      occurrences.push({
        key: text.slice(first.start, first.end),
        context: path,
        line: lineOf(first.start),
        value: text.slice(valueStart, valueEnd),
        valueStart,
        valueEnd,
        needsSpaceBeforeEmptyValue: firstArgument === undefined,
        lineStart: first.start - indentAt(text, first.start).length,
        indent: indentAt(text, first.start),
        separator: firstArgument === undefined ? ' ' : text.slice(first.end, firstArgument.start),
      });
    }
    words = [];
  }
  if (words.length > 0) refuse(`The nginx statement on line ${lineOf((words[0] as NginxToken).start)} has no closing ';'.`);
  const unclosed = open[open.length - 1];
  if (unclosed !== undefined) refuse(`The nginx block '${unclosed.path.join(' ')}' opened on line ${unclosed.line} never closes.`);
  return { occurrences, contexts };
}

// ---------------------------------------------------------------------------------------------
// Finding one setting, and where to add a missing one
// ---------------------------------------------------------------------------------------------

function singleOccurrence(layout: Layout, address: ParameterAddress): Occurrence | null {
  const context = address.context ?? [];
  const matches = layout.occurrences.filter((occurrence) => occurrence.key === address.key && samePath(occurrence.context, context));
  if (matches.length > 1) {
    const where = context.length === 0 ? 'the main context' : `'${context.join(' ')}'`;
    refuse(`'${address.key}' is set ${matches.length} times in ${where} (lines ${matches.map((match) => match.line).join(', ')}); remove all but one, then try again.`);
  }
  return matches[0] ?? null;
}

interface Insertion {
  readonly offset: number;
  readonly text: string;
  /** Where in `text` the setting itself starts (after any header added with it). */
  readonly settingOffset: number;
}

function insertionFor(text: string, syntax: ConfigSyntax, layout: Layout, address: ParameterAddress, value: string): Insertion {
  const context = address.context ?? [];
  const eol = layout.lineEnding;
  const model = layout.occurrences[0];
  const separator = model?.separator ?? (syntax === 'key-equals-value' ? ' = ' : ' ');
  const setting = `${address.key}${separator}${value}${syntax === 'nginx' ? ';' : ''}`;
  const atEnd = (lines: string): Insertion => {
    const lead = text === '' || text.endsWith('\n') || text.endsWith('\r') ? '' : eol;
    return { offset: text.length, text: lead + lines, settingOffset: lead.length };
  };
  if (syntax === 'key-space-value') {
    if (context.length > 0) refuse(`A key-space-value file has no contexts; '${context.join(' ')}' cannot be found.`);
    return atEnd(setting + eol);
  }
  if (syntax === 'key-equals-value') {
    if (context.length > 1) refuse('A key-equals-value file has sections one level deep only.');
    const inContext = layout.occurrences.filter((occurrence) => samePath(occurrence.context, context));
    const last = inContext[inContext.length - 1];
    if (last !== undefined) {
      const after = lineEndOffset(text, last.lineStart);
      const lead = after === text.length && !/[\r\n]$/.test(text) ? eol : '';
      return { offset: after, text: `${lead}${last.indent}${setting}${eol}`, settingOffset: lead.length };
    }
    if (context.length === 0) {
      const firstSection = layout.contexts[0];
      if (firstSection === undefined) return atEnd(setting + eol);
      const headerStart = lineStartOffset(text, firstSection.line);
      return { offset: headerStart, text: setting + eol, settingOffset: 0 };
    }
    const sections = layout.contexts.filter((span) => samePath(span.path, context));
    if (sections.length > 1) refuse(`The section '[${context[0]}]' appears ${sections.length} times (lines ${sections.map((span) => span.line).join(', ')}).`);
    const section = sections[0];
    if (section === undefined) {
      const header = `[${context[0]}]${eol}`;
      const lead = text === '' || /[\r\n]$/.test(text) ? '' : eol;
      return { offset: text.length, text: lead + header + setting + eol, settingOffset: lead.length + header.length };
    }
    return { offset: section.bodyStart, text: setting + eol, settingOffset: 0 };
  }
  // nginx
  if (context.length === 0) {
    const mainModel = layout.occurrences.find((occurrence) => occurrence.context.length === 0);
    return atEnd(`${mainModel?.indent ?? ''}${setting}${eol}`);
  }
  const blocks = layout.contexts.filter((span) => samePath(span.path, context));
  if (blocks.length > 1) refuse(`The nginx block '${context.join(' ')}' appears ${blocks.length} times (lines ${blocks.map((span) => span.line).join(', ')}).`);
  const block = blocks[0];
  if (block === undefined) {
    if (context.length > 1) refuse(`The nginx block '${context.join(' ')}' is missing; add it by hand first.`);
    const lead = text === '' || /[\r\n]$/.test(text) ? '' : eol;
    const opening = `${context[0]} {${eol}    `;
    return { offset: text.length, text: `${lead}${opening}${setting}${eol}}${eol}`, settingOffset: lead.length + opening.length };
  }
  const inside = layout.occurrences.find((occurrence) => samePath(occurrence.context, context));
  const indent = inside?.indent ?? `${block.indent}    `;
  const closingLineStart = block.bodyEnd - indentAt(text, block.bodyEnd).length;
  const braceOnItsOwnLine = closingLineStart === 0 || text[closingLineStart - 1] === '\n';
  if (braceOnItsOwnLine) return { offset: closingLineStart, text: `${indent}${setting}${eol}`, settingOffset: indent.length };
  // `events { worker_connections 512; }` on one line: stay on it.
  const gap = /\s$/.test(text.slice(0, block.bodyEnd)) ? '' : ' ';
  return { offset: block.bodyEnd, text: `${gap}${setting} `, settingOffset: gap.length };
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function checkValue(syntax: ConfigSyntax, key: string, value: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_.:-]*$/.test(key)) refuse(`'${printable(key)}' is not a configuration key this editor accepts.`);
  if (value === '') refuse(`The value for '${key}' is empty.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) refuse(`The value for '${key}' holds a newline or control character.`);
  if (value.trim() !== value) refuse(`The value for '${key}' starts or ends with a blank, which the file would not keep.`);
  if (syntax === 'key-equals-value' && value.includes('#')) refuse(`The value for '${key}' holds '#', which starts a comment in this file.`);
  if (syntax === 'nginx' && /[;{}#"']/.test(value)) refuse(`The value for '${key}' holds one of ; { } # " ', which nginx would read as syntax.`);
}

function refuse(message: string): never {
  throw new WorkbenchFailure('VALIDATION_FAILED', message, {
    hint: 'The configuration file was not changed. Fix the file or the value as the message says, then try again.',
  });
}

function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 80);
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, index) => name === b[index]);
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  let number = 1;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    const contentEnd = end > start && text[end - 1] === '\r' ? end - 1 : end;
    lines.push({ number, start, content: text.slice(start, contentEnd), next: newline < 0 ? text.length : newline + 1 });
    start = newline < 0 ? text.length : newline + 1;
    number++;
  }
  return lines;
}

/** CRLF when the file's first line ends so, else LF. */
function detectLineEnding(text: string): string {
  const newline = text.indexOf('\n');
  return newline > 0 && text[newline - 1] === '\r' ? '\r\n' : '\n';
}

function lineAt(text: string, offset: number): number {
  return lineLocator(text)(offset);
}

/** A function from an offset to its 1-based line, by binary search over the line starts. */
function lineLocator(text: string): (offset: number) => number {
  const starts = [0];
  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) starts.push(index + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((starts[middle] as number) <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  };
}

function lineStartOffset(text: string, line: number): number {
  let offset = 0;
  for (let current = 1; current < line; current++) offset = text.indexOf('\n', offset) + 1;
  return offset;
}

/** The offset just past the line ending of the line starting at `lineStart` (the text's end for the last line). */
function lineEndOffset(text: string, lineStart: number): number {
  const newline = text.indexOf('\n', lineStart);
  return newline < 0 ? text.length : newline + 1;
}

/** The blanks before `offset` on its line, when only blanks precede it there; else ''. */
function indentAt(text: string, offset: number): string {
  let start = offset;
  while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  return start === 0 || text[start - 1] === '\n' ? text.slice(start, offset) : '';
}
