import { createHash } from 'node:crypto';
import type { CustodyEntry, WorkbenchError } from '../../preload/api';
import { workbenchError } from '../errors';
import { CUSTODY_NAME, MANIFEST_NAME, MAX_JSON_DEPTH } from './bundle-limits';
import { custodyEntrySchema } from './bundle-schema';
import { canonicalJson } from './canonical-json';
import { JsonDepthScanner } from './json-depth';

/** The `prev` of the first custody entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The action of the first entry, which binds the log to the manifest. */
export const SEAL_ACTION = 'seal-manifest';

/**
 * What a caller supplies for a new custody entry; the chain fields are computed.
 *
 * `at` is normally left out: the entry is then stamped when it is appended, from the one clock.
 */
export interface CustodyEvent {
  readonly at?: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly sha256?: string;
}

/** The SHA-256 (hex) of an entry: of the canonical JSON of every field but `hash`. */
export function custodyEntryHash(entry: Omit<CustodyEntry, 'hash'>): string {
  const { seq, at, actor, action, subject, sha256, prev } = entry;
  return createHash('sha256').update(canonicalJson({ seq, at, actor, action, subject, sha256, prev }), 'utf8').digest('hex');
}

/**
 * The time of a new entry: the event's own, else now; never earlier than the entry before it, so a
 * log's times only go forward even if the wall clock steps back while it is written.
 */
export function custodyTime(previous: CustodyEntry | undefined, at: string | undefined, now: () => Date = () => new Date()): string {
  const wanted = at ?? now().toISOString();
  if (previous !== undefined && Date.parse(wanted) < Date.parse(previous.at)) return previous.at;
  return wanted;
}

/** Builds the entry that follows `previous` (or the first one) with its chain fields filled in. */
export function nextCustodyEntry(previous: CustodyEntry | undefined, event: CustodyEvent, now?: () => Date): CustodyEntry {
  const body = {
    seq: previous ? previous.seq + 1 : 1,
    at: custodyTime(previous, event.at, now),
    actor: event.actor,
    action: event.action,
    subject: event.subject,
    ...(event.sha256 === undefined ? {} : { sha256: event.sha256 }),
    prev: previous ? previous.hash : GENESIS_HASH,
  };
  const entry = { ...body, hash: custodyEntryHash(body) };
  custodyEntrySchema.parse(entry);
  return entry;
}

/** One line of `custody.jsonl`, newline included. */
export function custodyLine(entry: CustodyEntry): string {
  return canonicalJson({ ...entry }) + '\n';
}

/** The outcome of checking a custody log. */
export interface CustodyCheck {
  readonly entries: readonly CustodyEntry[];
  /** Empty when the chain is intact and sealed to the manifest. */
  readonly problems: readonly WorkbenchError[];
  /** Oddities of an intact chain: times that go backwards (BUNDLE_CUSTODY_TIME_REVERSED). */
  readonly warnings: readonly WorkbenchError[];
}

function broken(message: string, seq: number | string): WorkbenchError {
  return workbenchError('BUNDLE_CUSTODY_BROKEN', message, `${CUSTODY_NAME}#${seq}`);
}

/**
 * Checks a custody log: each line parses and follows the schema, `seq` counts up from 1, each `prev` is
 * the hash before it, each `hash` is right, and entry 1 seals exactly this manifest.
 *
 * Stops at the first broken entry: later entries cannot be trusted once the chain breaks.
 */
export function checkCustody(text: Uint8Array, manifestSha256: string): CustodyCheck {
  const entries: CustodyEntry[] = [];
  const warnings: WorkbenchError[] = [];
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(text);
  } catch {
    return { entries, warnings, problems: [broken('The custody log is not UTF-8.', 1)] };
  }
  const lines = decoded.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) return { entries, warnings, problems: [broken('The custody log is empty: the manifest was never sealed.', 1)] };

  for (const [index, line] of lines.entries()) {
    const position = index + 1;
    let parsed: unknown;
    try {
      new JsonDepthScanner(MAX_JSON_DEPTH, `${CUSTODY_NAME}#${position}`).feed(Buffer.from(line, 'utf8'));
      parsed = JSON.parse(line);
    } catch {
      return { entries, warnings, problems: [broken(`Custody entry ${position} is not valid JSON.`, position)] };
    }
    const result = custodyEntrySchema.safeParse(parsed);
    if (!result.success) return { entries, warnings, problems: [broken(`Custody entry ${position} does not follow the custody schema.`, position)] };
    const entry = result.data;
    const previous = entries.at(-1);
    if (entry.seq !== position) {
      return { entries, warnings, problems: [broken(`Custody entry ${position} has seq ${entry.seq}: an entry was removed or inserted.`, position)] };
    }
    if (entry.prev !== (previous ? previous.hash : GENESIS_HASH)) {
      return { entries, warnings, problems: [broken(`Custody entry ${entry.seq} does not follow the entry before it.`, entry.seq)] };
    }
    if (custodyEntryHash(entry) !== entry.hash) {
      return { entries, warnings, problems: [broken(`Custody entry ${entry.seq} was changed after it was written.`, entry.seq)] };
    }
    if (entry.seq === 1 && (entry.action !== SEAL_ACTION || entry.subject !== MANIFEST_NAME || entry.sha256 !== manifestSha256)) {
      return {
        entries,
        warnings,
        problems: [broken('Custody entry 1 does not seal this manifest: the manifest was changed after sealing.', 1)],
      };
    }
    // Times are not part of what the chain proves, and captures made before custody times were taken
    // from one clock have entry 1 after entry 2: a warning, not a failed verification.
    if (previous !== undefined && warnings.length === 0 && Date.parse(entry.at) < Date.parse(previous.at)) {
      warnings.push(
        workbenchError(
          'BUNDLE_CUSTODY_TIME_REVERSED',
          `Custody entry ${entry.seq} (${entry.at}) is earlier than entry ${previous.seq} (${previous.at}).`,
          `${CUSTODY_NAME}#${entry.seq}`,
        ),
      );
    }
    entries.push(entry);
  }
  return { entries, warnings, problems: [] };
}
