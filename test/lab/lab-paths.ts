import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file's own location. */
export const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Folder of guest files (init scripts, C sources) that go into the image. */
export const GUEST_SOURCE_DIR = join(REPOSITORY_ROOT, 'test', 'lab', 'guest');

/** Every runtime path of one lab instance. */
export interface LabPaths {
  readonly root: string;
  readonly stateFile: string;
  readonly runDir: string;
  readonly qmpDir: string;
  readonly qgaDir: string;
  readonly logDir: string;
  readonly sshDir: string;
  readonly diskDir: string;
  /** One file per test run using the lab; the last one out takes it down. */
  readonly usersDir: string;
  readonly cacheRoot: string;
}

/**
 * Resolves the lab folder: the argument, else env CIVIC_LAB_DIR, else `.lab/` in the repository.
 *
 * The build cache is shared by every lab folder: env CIVIC_LAB_CACHE_DIR or `.cache/lab/`.
 */
export function resolveLabPaths(labDir?: string): LabPaths {
  const root = resolve(labDir ?? process.env.CIVIC_LAB_DIR ?? join(REPOSITORY_ROOT, '.lab'));
  const runDir = join(root, 'run');
  return {
    root,
    stateFile: join(root, 'state.json'),
    runDir,
    qmpDir: join(runDir, 'qmp'),
    qgaDir: join(runDir, 'qga'),
    logDir: join(root, 'logs'),
    sshDir: join(root, 'ssh'),
    diskDir: join(root, 'disks'),
    usersDir: join(root, 'users'),
    cacheRoot: resolve(process.env.CIVIC_LAB_CACHE_DIR ?? join(REPOSITORY_ROOT, '.cache', 'lab')),
  };
}

/** The folders {@link resolveLabPaths} creates inside the lab folder, removed again by `down`. */
export function runtimeEntries(paths: LabPaths): readonly string[] {
  return [paths.stateFile, paths.runDir, paths.logDir, paths.sshDir, paths.diskDir, paths.usersDir];
}
