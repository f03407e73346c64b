import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { WorkbenchFailure } from '../errors';
import { createLogger } from '../logging/logger';
import { runRemoteChecked } from '../ssh/remote-command';
import type { SshConnection } from '../ssh/ssh-connect';

const log = createLogger('helper');

/** One file of the helper, as it should be on the host. */
export interface HelperFile {
  /** POSIX path relative to the helper folder. */
  readonly path: string;
  readonly data: Buffer;
  readonly sha256: string;
  readonly executable: boolean;
}

/** The helper as shipped with the app, and the remote folder name it gets. */
export interface HelperBundle {
  readonly version: string;
  /** SHA-256 over every file's hash and path: a changed file means a new folder. */
  readonly contentHash: string;
  readonly files: readonly HelperFile[];
  /** `<version>-<first 16 hex of contentHash>`. */
  readonly folderName: string;
}

/** What a deploy did. */
export interface DeployReport {
  readonly remoteDir: string;
  readonly total: number;
  /** Files sent: missing ones plus `replaced`. */
  readonly uploaded: number;
  /** Files that were present but did not match their hash (changed on the host). */
  readonly replaced: number;
  /** Files on the host the helper does not ship, removed so nothing can shadow its modules. */
  readonly removedExtra: number;
}

/** Where the helper lives under the remote home. */
export const remoteHelperRoot = '.cache/civic-workbench/helper';

/** The helper's entry point inside its deployed folder; the only place the app names it. */
export const helperEntryPoint = 'civic-helper';

/** The entry point's path on the host, inside a deployed helper folder. */
export function helperEntryPath(helperDir: string): string {
  return posix.join(helperDir, helperEntryPoint);
}

const skippedFolders = new Set(['tests', '__pycache__']);

async function walk(root: string, relative: string, into: HelperFile[]): Promise<void> {
  const entries = await readdir(join(root, relative), { withFileTypes: true });
  for (const entry of entries) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!skippedFolders.has(entry.name)) await walk(root, path, into);
    } else if (entry.isFile()) {
      const full = join(root, path);
      const [data, info] = await Promise.all([readFile(full), stat(full)]);
      into.push({ path, data, sha256: createHash('sha256').update(data).digest('hex'), executable: (info.mode & 0o111) !== 0 });
    }
  }
}

/** Reads the helper folder (skipping tests/ and __pycache__/) and names its remote folder. */
export async function loadHelperBundle(root: string, version: string): Promise<HelperBundle> {
  const files: HelperFile[] = [];
  await walk(root, '', files);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const contentHash = createHash('sha256')
    .update(files.map((file) => `${file.sha256}  ${file.path}\n`).join(''))
    .digest('hex');
  return { version, contentHash, files, folderName: `${version}-${contentHash.slice(0, 16)}` };
}

/**
 * Hashes the helper folder on the host: every expected file (null when missing) and every file
 * that should not be there. Python, because the helper needs it anyway and its JSON survives any
 * file name, where `sha256sum` output escapes some.
 */
const remoteHashScript = `
import hashlib, json, os, sys
root = sys.argv[1]
wanted = sys.argv[2:]
found = {}
for rel in wanted:
    path = os.path.join(root, rel)
    try:
        with open(path, 'rb') as handle:
            found[rel] = hashlib.sha256(handle.read()).hexdigest()
    except (IOError, OSError):
        found[rel] = None
extra = []
for folder, dirs, files in os.walk(root):
    dirs[:] = [d for d in dirs if d != '__pycache__']
    for name in files:
        rel = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, '/')
        if rel not in found:
            extra.append(rel)
json.dump({'files': found, 'extra': sorted(extra)}, sys.stdout)
`;

interface RemoteHashes {
  readonly files: Record<string, string | null>;
  readonly extra: readonly string[];
}

async function remoteHashes(connection: SshConnection, dir: string, paths: readonly string[], signal?: AbortSignal): Promise<RemoteHashes> {
  const out = await runRemoteChecked(connection, ['python3', '-c', remoteHashScript, dir, ...paths], 'HELPER_DEPLOY_FAILED', {
    ...(signal === undefined ? {} : { signal }),
  });
  try {
    return JSON.parse(out) as RemoteHashes;
  } catch (error) {
    throw new WorkbenchFailure('HELPER_DEPLOY_FAILED', `Could not read the helper's hashes from ${connection.label}.`, { cause: error });
  }
}

function openSftp(connection: SshConnection): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => {
    connection.client.sftp((error, sftp) => {
      if (error) return reject(new WorkbenchFailure('HELPER_DEPLOY_FAILED', `SFTP is not available on ${connection.label}.`, { cause: error }));
      // Failures surface through each call's callback; an unheard 'error' event would end the process.
      sftp.on('error', () => undefined);
      resolve(sftp);
    });
  });
}

function sftpCall<T>(start: (callback: (error: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value))));
}

/** The absolute remote home folder, from the SFTP server's view of `.`. */
export async function remoteHome(connection: SshConnection): Promise<string> {
  const sftp = await openSftp(connection);
  try {
    return await sftpCall<string>((callback) => sftp.realpath('.', callback));
  } finally {
    sftp.end();
  }
}

/**
 * Puts the helper on the host and proves every file's SHA-256 there.
 *
 * Only missing or different files are sent, so a second deploy sends nothing; files the helper does
 * not ship are removed. After uploading, the hashes are checked again: a deploy that cannot prove its
 * files fails with HELPER_DEPLOY_FAILED.
 */
export async function deployHelper(connection: SshConnection, bundle: HelperBundle, signal?: AbortSignal): Promise<DeployReport> {
  const home = await remoteHome(connection);
  const remoteDir = posix.join(home, remoteHelperRoot, bundle.folderName);
  const paths = bundle.files.map((file) => file.path);
  const before = await remoteHashes(connection, remoteDir, paths, signal);
  const stale = bundle.files.filter((file) => before.files[file.path] !== file.sha256);
  const replaced = stale.filter((file) => typeof before.files[file.path] === 'string').length;

  if (before.extra.length > 0) {
    await runRemoteChecked(connection, ['rm', '-f', '--', ...before.extra.map((path) => posix.join(remoteDir, path))], 'HELPER_DEPLOY_FAILED', {
      ...(signal === undefined ? {} : { signal }),
    });
    log.warn(`removed ${before.extra.length} unexpected file(s) from ${remoteDir} on ${connection.label}`);
  }

  if (stale.length > 0) {
    const folders = [...new Set(stale.map((file) => posix.join(remoteDir, posix.dirname(file.path))))];
    await runRemoteChecked(connection, ['mkdir', '-p', '-m', '700', '--', ...folders], 'HELPER_DEPLOY_FAILED', {
      ...(signal === undefined ? {} : { signal }),
    });
    const sftp = await openSftp(connection);
    try {
      for (const file of stale) {
        if (signal?.aborted) throw new WorkbenchFailure('CANCELLED', 'Helper deployment was cancelled.');
        const target = posix.join(remoteDir, file.path);
        const mode = file.executable ? 0o700 : 0o600;
        await sftpCall<void>((callback) => sftp.writeFile(target, file.data, { mode }, (error) => callback(error, undefined)));
        // writeFile's mode applies only when it creates the file; a replaced file keeps its old mode.
        await sftpCall<void>((callback) => sftp.chmod(target, mode, (error) => callback(error, undefined)));
      }
    } catch (error) {
      if (error instanceof WorkbenchFailure) throw error;
      throw new WorkbenchFailure('HELPER_DEPLOY_FAILED', `Uploading the helper to ${connection.label} failed.`, { cause: error });
    } finally {
      sftp.end();
    }
  }

  const after = stale.length === 0 && before.extra.length === 0 ? before : await remoteHashes(connection, remoteDir, paths, signal);
  const wrong = bundle.files.filter((file) => after.files[file.path] !== file.sha256);
  if (wrong.length > 0) {
    throw new WorkbenchFailure('HELPER_DEPLOY_FAILED', `${wrong.length} helper file(s) on ${connection.label} do not match after upload.`, {
      subject: wrong[0]?.path ?? remoteDir,
    });
  }
  log.info(`helper ${bundle.folderName} on ${connection.label}: ${stale.length} uploaded, ${replaced} replaced`);
  return { remoteDir, total: bundle.files.length, uploaded: stale.length, replaced, removedExtra: before.extra.length };
}

/** Removes one deployed helper folder, or every helper folder when `folderName` is omitted. */
export async function removeHelper(connection: SshConnection, folderName?: string, signal?: AbortSignal): Promise<string> {
  if (folderName !== undefined && (folderName === '' || folderName.includes('/') || folderName.startsWith('.'))) {
    throw new WorkbenchFailure('VALIDATION_FAILED', `Not a helper folder name: ${folderName}`);
  }
  const home = await remoteHome(connection);
  const target = posix.join(home, remoteHelperRoot, folderName ?? '');
  await runRemoteChecked(connection, ['rm', '-rf', '--', target], 'HELPER_DEPLOY_FAILED', { ...(signal === undefined ? {} : { signal }) });
  return target;
}
