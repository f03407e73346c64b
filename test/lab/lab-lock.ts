import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LabError } from './lab-error';
import type { LabPaths } from './lab-paths';
import { describeProcess, isProcessAlive, type LabProcess } from './process-tools';

/**
 * Runs `work` holding the lab folder's lock, so two test runs never start or stop one lab at once.
 *
 * The lock file lives in the shared cache (it must outlive `down`); a lock whose holder died is taken over.
 */
export async function withLabLock<T>(paths: LabPaths, work: () => Promise<T>, timeoutMs = 15 * 60_000): Promise<T> {
  const folder = join(paths.cacheRoot, 'locks');
  await mkdir(folder, { recursive: true });
  const lockPath = join(folder, `${createHash('sha256').update(paths.root).digest('hex').slice(0, 16)}.lock`);
  const me = await describeProcess('lock', process.pid);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(JSON.stringify(me));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(lockPath);
    if (holder && !(await isProcessAlive(holder))) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new LabError(`lab ${paths.root} stays locked by pid ${holder?.pid ?? '?'}`, lockPath);
    await delay(200);
  }
  try {
    return await work();
  } finally {
    const holder = await readHolder(lockPath);
    if (holder?.pid === me.pid) await rm(lockPath, { force: true });
  }
}

/** Records that a process (a test run) uses the lab, so another run's teardown leaves it up. */
export async function registerLabUser(usersDir: string, pid = process.pid): Promise<void> {
  await mkdir(usersDir, { recursive: true });
  await writeFile(join(usersDir, String(pid)), JSON.stringify(await describeProcess('user', pid)));
}

/** Removes a process from the lab's users; returns how many other live users remain. */
export async function releaseLabUser(usersDir: string, pid = process.pid): Promise<number> {
  await rm(join(usersDir, String(pid)), { force: true });
  return countLiveUsers(usersDir);
}

/** Counts the live processes registered as lab users, forgetting dead ones. */
export async function countLiveUsers(usersDir: string): Promise<number> {
  let remaining = 0;
  for (const name of await readdir(usersDir).catch(() => [] as string[])) {
    const user = await readHolder(join(usersDir, name));
    if (user && (await isProcessAlive(user))) remaining += 1;
    else await rm(join(usersDir, name), { force: true });
  }
  return remaining;
}

async function readHolder(path: string): Promise<LabProcess | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LabProcess;
  } catch {
    return null;
  }
}
