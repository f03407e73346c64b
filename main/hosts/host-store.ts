import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkbenchFailure } from '../errors';
import { writeFileAtomic } from '../storage/atomic-write';
import type { HostTarget } from './host-types';

/** The file, under the app data folder, that holds hosts added in the app. */
export const hostsFileName = 'hosts.json';

interface StoredHosts {
  readonly version: 1;
  readonly hosts: readonly HostTarget[];
}

function isStoredHost(value: unknown): value is HostTarget {
  if (typeof value !== 'object' || value === null) return false;
  const host = value as Record<string, unknown>;
  return (
    typeof host['id'] === 'string' &&
    typeof host['alias'] === 'string' &&
    typeof host['hostName'] === 'string' &&
    typeof host['user'] === 'string' &&
    typeof host['port'] === 'number' &&
    Number.isInteger(host['port']) &&
    host['source'] === 'app' &&
    Array.isArray(host['identityFiles']) &&
    host['identityFiles'].every((path) => typeof path === 'string') &&
    (host['proxyJump'] === undefined || typeof host['proxyJump'] === 'string')
  );
}

/** Reads and writes the app's own hosts as one JSON document, replaced atomically. */
export interface HostStore {
  load(): Promise<HostTarget[]>;
  save(hosts: readonly HostTarget[]): Promise<void>;
}

/**
 * Creates the store in the app data folder.
 *
 * A file that does not parse is reported, never overwritten: the user's hosts stay on disk to fix.
 */
export function createHostStore(dataDir: string): HostStore {
  const path = join(dataDir, hostsFileName);
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new WorkbenchFailure('VALIDATION_FAILED', `${path} is not valid JSON.`, {
          subject: path,
          hint: 'Fix or remove the file; it was left untouched.',
          cause: error,
        });
      }
      const hosts = (parsed as Partial<StoredHosts> | null)?.hosts;
      if (!Array.isArray(hosts) || !hosts.every(isStoredHost)) {
        throw new WorkbenchFailure('VALIDATION_FAILED', `${path} does not hold a list of hosts.`, {
          subject: path,
          hint: 'Fix or remove the file; it was left untouched.',
        });
      }
      return hosts;
    },
    async save(hosts) {
      const document: StoredHosts = { version: 1, hosts };
      await writeFileAtomic(path, JSON.stringify(document, null, 2) + '\n');
    },
  };
}
