import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { FindingTriage, TriageRecord, TriageState } from '../../preload/api';
import { WorkbenchFailure } from '../errors';
import { writeFileAtomic } from '../storage/atomic-write';

/** Longest triage note kept, in characters. */
export const MAX_TRIAGE_NOTE = 10_000;

const triageFileSchema = z.strictObject({
  format: z.literal('civic-triage'),
  version: z.literal(1),
  captureId: z.string().max(256),
  entries: z
    .array(
      z.strictObject({
        findingId: z.string().min(1).max(256),
        state: z.enum(['new', 'confirmed', 'false-positive']),
        note: z.string().max(MAX_TRIAGE_NOTE),
        updatedAt: z.string().max(64),
      }),
    )
    .max(100_000),
});

/** Where a capture's triage lives: beside it, or in the app data folder. */
export interface TriageLocations {
  readonly besideCapture: string;
  readonly appData: string;
}

/** The sidecar paths of a capture: `<capture>.triage.json`, outside the sealed bundle either way. */
export function triageLocations(capturePath: string, captureId: string, appDataDir: string): TriageLocations {
  const trimmed = capturePath.replace(/[\\/]+$/, '');
  // The capture id comes from the bundle: hash it into the file name so it cannot name a path.
  const key = createHash('sha256').update(captureId).digest('hex').slice(0, 32);
  return { besideCapture: `${trimmed}.triage.json`, appData: join(appDataDir, 'triage', `${key}.json`) };
}

async function readTriageFile(path: string): Promise<FindingTriage[] | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = triageFileSchema.safeParse(safeJson(text));
  return parsed.success ? parsed.data.entries : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Reads a capture's triage, from beside the capture first, then from the app data folder. */
export async function loadTriage(locations: TriageLocations): Promise<TriageRecord> {
  const beside = await readTriageFile(locations.besideCapture);
  if (beside) return { location: 'beside-capture', path: locations.besideCapture, entries: beside };
  const inAppData = await readTriageFile(locations.appData);
  if (inAppData) return { location: 'app-data', path: locations.appData, entries: inAppData };
  return { location: 'beside-capture', path: locations.besideCapture, entries: [] };
}

/** Sets the triage of one finding and writes the sidecar atomically; read-only capture folders fall back to app data. */
export async function saveTriage(
  locations: TriageLocations,
  captureId: string,
  change: { readonly findingId: string; readonly state: TriageState; readonly note: string },
  now: Date = new Date(),
): Promise<TriageRecord> {
  const current = await loadTriage(locations);
  const entry: FindingTriage = { findingId: change.findingId, state: change.state, note: change.note.slice(0, MAX_TRIAGE_NOTE), updatedAt: now.toISOString() };
  const entries = [...current.entries.filter((existing) => existing.findingId !== change.findingId), entry];
  const text = JSON.stringify({ format: 'civic-triage', version: 1, captureId, entries }, null, 2) + '\n';
  const order = current.location === 'app-data' ? [locations.appData] : [locations.besideCapture, locations.appData];
  let lastError: unknown;
  for (const path of order) {
    try {
      await writeFileAtomic(path, text, 0o644);
      return { location: path === locations.appData ? 'app-data' : 'beside-capture', path, entries };
    } catch (error) {
      lastError = error;
    }
  }
  throw new WorkbenchFailure('INTERNAL', 'The triage could not be saved.', {
    subject: locations.appData,
    hint: `Check that the app data folder is writable (${lastError instanceof Error ? lastError.message : 'unknown error'}).`,
  });
}
