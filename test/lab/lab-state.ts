import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../main/storage/atomic-write';
import type { LabInfo } from './lab-info';
import type { LabProcess } from './process-tools';

/**
 * What the lab folder records: written after every process start, so `down` can clean up even after
 * an `up` that crashed half-way.
 */
export interface LabState {
  readonly version: 1;
  /** Processes to stop, in start order. */
  processes: LabProcess[];
  /** Libvirt domains to destroy and undefine. */
  libvirtDomains: string[];
  /** Filled in once `up` finished. */
  info: LabInfo | null;
  /** Who brought it up: a lab started from the CLI is left running by test teardown. */
  owner: LabOwner;
}

/** Who started a lab. */
export type LabOwner = 'cli' | 'tests';

/** A fresh, empty state. */
export function emptyState(owner: LabOwner): LabState {
  return { version: 1, processes: [], libvirtDomains: [], info: null, owner };
}

/** Reads the state file, or null when there is none. */
export async function readState(stateFile: string): Promise<LabState | null> {
  let text: string;
  try {
    text = await readFile(stateFile, 'utf8');
  } catch {
    return null;
  }
  const parsed = JSON.parse(text) as Partial<LabState>;
  if (parsed.version !== 1) return null;
  return {
    version: 1,
    processes: parsed.processes ?? [],
    libvirtDomains: parsed.libvirtDomains ?? [],
    info: parsed.info ?? null,
    owner: parsed.owner ?? 'cli',
  };
}

/** Writes the state atomically (readable by root only: it holds the analyst password). */
export async function writeState(stateFile: string, state: LabState): Promise<void> {
  await writeFileAtomic(stateFile, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}
