import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { WorkbenchFailure } from '../errors';
import { writeFileAtomic } from '../storage/atomic-write';

/** Per-host settings the inventory does not hold (it mirrors ~/.ssh/config): the QMP folders. */
export interface HostSettings {
  readonly qmpDirs: readonly string[];
}

/** Reads and writes `host-settings.json` in the app data folder. */
export interface HostSettingsStore {
  get(hostId: string): Promise<HostSettings>;
  set(hostId: string, settings: HostSettings): Promise<void>;
  remove(hostId: string): Promise<void>;
}

/** The helper's own rule for `--qmp-dir` values: absolute, plain characters, short enough for sockets. */
const qmpDirPattern = /^\/[A-Za-z0-9._/+@:-]{0,200}$/;

/** Checks QMP folders; throws VALIDATION_FAILED on the first bad one. */
export function validateQmpDirs(qmpDirs: readonly string[]): void {
  if (qmpDirs.length > 16) {
    throw new WorkbenchFailure('VALIDATION_FAILED', 'At most 16 QMP folders.', { subject: 'qmpDirs', hint: 'Remove some folders and save again.' });
  }
  for (const folder of qmpDirs) {
    if (!qmpDirPattern.test(folder) || folder.split('/').includes('..')) {
      throw new WorkbenchFailure('VALIDATION_FAILED', `"${folder.slice(0, 80)}" is not an absolute folder path the helper accepts.`, {
        subject: 'qmpDirs',
        hint: 'Use an absolute path of letters, digits and . _ / + @ : - only.',
      });
    }
  }
}

const fileSchema = z.object({ version: z.literal(1), hosts: z.record(z.string(), z.object({ qmpDirs: z.array(z.string()) })) });
type SettingsFile = z.infer<typeof fileSchema>;

/** Creates the store; a file that does not parse is reported and left as it is. */
export function createHostSettingsStore(dataDir: string): HostSettingsStore {
  const path = join(dataDir, 'host-settings.json');
  let chain: Promise<unknown> = Promise.resolve();
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const next = chain.then(work);
    chain = next.catch(() => undefined);
    return next;
  };
  const load = async (): Promise<SettingsFile> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, hosts: {} };
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    const parsed = fileSchema.safeParse(value);
    if (!parsed.success) {
      throw new WorkbenchFailure('VALIDATION_FAILED', `${path} is not a valid host settings file.`, { subject: path, hint: 'Fix or remove the file; it was left untouched.' });
    }
    return parsed.data;
  };
  const save = (file: SettingsFile): Promise<void> => writeFileAtomic(path, JSON.stringify(file, null, 2) + '\n');
  return {
    async get(hostId) {
      const entry = (await load()).hosts[hostId];
      return { qmpDirs: entry?.qmpDirs ?? [] };
    },
    set: (hostId, settings) =>
      serialised(async () => {
        validateQmpDirs(settings.qmpDirs);
        const file = await load();
        await save({ version: 1, hosts: { ...file.hosts, [hostId]: { qmpDirs: [...settings.qmpDirs] } } });
      }),
    remove: (hostId) =>
      serialised(async () => {
        const file = await load();
        if (!(hostId in file.hosts)) return;
        const hosts = { ...file.hosts };
        delete hosts[hostId];
        await save({ version: 1, hosts });
      }),
  };
}
