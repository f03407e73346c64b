import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { RecentCapture } from '../../preload/api';
import { createLogger } from '../logging/logger';
import { writeFileAtomic } from './atomic-write';

const log = createLogger('recent');

const recentFileSchema = z.object({
  version: z.literal(1),
  captures: z.array(z.object({ path: z.string().max(4096), title: z.string().max(512), openedAt: z.string().max(64) })).max(100),
});

/** The list of captures the user opened, newest first. */
export interface RecentCaptures {
  list(): Promise<RecentCapture[]>;
  add(entry: RecentCapture): Promise<void>;
}

/** Keeps the recent list in `recent-captures.json` in the app data folder; a damaged file is ignored, not fatal. */
export function createRecentCaptures(appDataDir: string, limit = 12): RecentCaptures {
  const file = join(appDataDir, 'recent-captures.json');
  let pending: Promise<void> = Promise.resolve();

  const read = async (): Promise<RecentCapture[]> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return [];
    }
    try {
      const parsed = recentFileSchema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data.captures;
    } catch {
      // fall through: a corrupt list must not stop the app
    }
    log.warn('ignoring a damaged recent-captures.json');
    return [];
  };

  return {
    list: read,
    add(entry) {
      // Serialise writers so two opens in a row cannot lose one entry.
      pending = pending.then(async () => {
        const current = await read();
        const captures = [entry, ...current.filter((item) => item.path !== entry.path)].slice(0, limit);
        await writeFileAtomic(file, JSON.stringify({ version: 1, captures }, null, 2));
      });
      return pending;
    },
  };
}
