import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { WorkbenchFailure, throwIfAborted } from '../errors';
import { createLogger } from '../logging/logger';
import type { CommandOptions, CommandResult } from '../ssh/remote-command';
import type { SshConnection } from '../ssh/ssh-connect';
import { openSftpSession, sftpCall } from './sftp-session';
import { sha256OfFile } from './file-digest';

const log = createLogger('capture');

/** A toolkit built on this machine: the three files the helper's `collect` needs on the host. */
export interface LocalToolkit {
  readonly key: string;
  readonly busyboxPath: string;
  readonly payloadPath: string;
  readonly manifestPath: string;
}

/** Where the toolkit lives on the host, relative to the login's home. */
export const hostToolkitRoot = '.cache/civic-workbench/toolkit';

/** What uploading the toolkit did. */
export interface ToolkitUpload {
  /** Absolute folder on the host holding `toolkit.tar.gz`, `toolkit-manifest.json` and `busybox`. */
  readonly remoteDir: string;
  readonly uploaded: number;
  readonly files: readonly { readonly name: string; readonly sha256: string }[];
}

/** What the upload needs from the SSH side. */
export interface ToolkitUploadAccess {
  readonly connection: SshConnection;
  /** Runs a command as the login user on the host. */
  run(argv: readonly string[], options?: CommandOptions): Promise<CommandResult>;
}

const fileNames = { busybox: 'busybox', payload: 'toolkit.tar.gz', manifest: 'toolkit-manifest.json' } as const;

/** Reads `sha256sum` output into name -> hash for the names asked; missing files are absent. */
export function parseSha256sum(output: string, folder: string): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!match || match[1] === undefined || match[2] === undefined) continue;
    const name = posix.relative(folder, match[2]);
    if (!name.includes('/')) hashes.set(name, match[1]);
  }
  return hashes;
}

async function remoteHashes(access: ToolkitUploadAccess, folder: string, signal?: AbortSignal, extra: readonly string[] = []): Promise<Map<string, string>> {
  const paths = [...Object.values(fileNames), ...extra].map((name) => posix.join(folder, name));
  // sha256sum exits 1 when a file is missing; the lines of the others are still right.
  const result = await access.run(['sha256sum', '--', ...paths], { maxOutputBytes: 64 * 1024, ...(signal === undefined ? {} : { signal }) });
  return parseSha256sum(result.stdout.toString('utf8'), folder);
}

/**
 * Puts the toolkit on the host under `~/.cache/civic-workbench/toolkit/<key>/` and proves each file's
 * SHA-256 there; files already present with the right hash are not sent again.
 */
export async function uploadToolkit(
  access: ToolkitUploadAccess,
  toolkit: LocalToolkit,
  signal?: AbortSignal,
  /** Files that ship beside the toolkit, uploaded only by the features that use them (a twin's agent). */
  extra: readonly { readonly name: string; readonly path: string }[] = [],
): Promise<ToolkitUpload> {
  if (!/^[0-9a-f]{8,64}$/.test(toolkit.key)) throw new WorkbenchFailure('VALIDATION_FAILED', `Not a toolkit key: ${toolkit.key}`);
  const local = [
    { name: fileNames.busybox, path: toolkit.busyboxPath, mode: 0o700 },
    { name: fileNames.payload, path: toolkit.payloadPath, mode: 0o600 },
    { name: fileNames.manifest, path: toolkit.manifestPath, mode: 0o600 },
    ...extra.map((file) => ({ name: file.name, path: file.path, mode: 0o600 })),
  ];
  const expected = await Promise.all(local.map(async (file) => ({ ...file, sha256: await sha256OfFile(file.path) })));
  const sftp = await openSftpSession(access.connection);
  try {
    const home = await sftpCall<string>((callback) => sftp.realpath('.', callback));
    const remoteDir = posix.join(home, hostToolkitRoot, toolkit.key);
    const mkdir = await access.run(['mkdir', '-p', '-m', '700', '--', remoteDir], { maxOutputBytes: 4096, ...(signal === undefined ? {} : { signal }) });
    if (mkdir.exitCode !== 0) {
      throw new WorkbenchFailure('HELPER_DEPLOY_FAILED', `Could not create ${remoteDir} on ${access.connection.label}.`, { subject: remoteDir });
    }
    const extraNames = extra.map((file) => file.name);
    const before = await remoteHashes(access, remoteDir, signal, extraNames);
    const stale = expected.filter((file) => before.get(file.name) !== file.sha256);
    for (const file of stale) {
      throwIfAborted(signal);
      const target = posix.join(remoteDir, file.name);
      const partial = `${target}.partial`;
      await pipeline(createReadStream(file.path), sftp.createWriteStream(partial, { mode: file.mode }), ...(signal === undefined ? [] : [{ signal }]));
      await sftpCall<void>((callback) => sftp.chmod(partial, file.mode, (error) => callback(error, undefined)));
      await sftpCall<void>((callback) => sftp.rename(partial, target, (error) => callback(error, undefined))).catch(async () => {
        // SFTP v3 rename refuses an existing target; remove the stale one and try once more.
        await sftpCall<void>((callback) => sftp.unlink(target, (error) => callback(error, undefined))).catch(() => undefined);
        await sftpCall<void>((callback) => sftp.rename(partial, target, (error) => callback(error, undefined)));
      });
    }
    const after = stale.length === 0 ? before : await remoteHashes(access, remoteDir, signal, extraNames);
    const wrong = expected.filter((file) => after.get(file.name) !== file.sha256);
    if (wrong.length > 0) {
      throw new WorkbenchFailure('HELPER_DEPLOY_FAILED', `The toolkit on ${access.connection.label} does not match after upload (${wrong.map((file) => file.name).join(', ')}).`, {
        subject: remoteDir,
      });
    }
    log.info(`toolkit ${toolkit.key} on ${access.connection.label}: ${stale.length} file(s) uploaded`);
    return { remoteDir, uploaded: stale.length, files: expected.map((file) => ({ name: file.name, sha256: file.sha256 })) };
  } catch (error) {
    if (signal?.aborted) throw new WorkbenchFailure('CANCELLED', 'Cancelled while uploading the toolkit.');
    if (error instanceof WorkbenchFailure) throw error;
    throw new WorkbenchFailure('HELPER_DEPLOY_FAILED', `Uploading the toolkit to ${access.connection.label} failed.`, { cause: error, subject: access.connection.label });
  } finally {
    sftp.end();
  }
}
