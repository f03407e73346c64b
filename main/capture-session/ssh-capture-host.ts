import { posix } from 'node:path';
import { WorkbenchFailure } from '../errors';
import type { HelperAccess } from '../helper-client/helper-access';
import type { SshService } from '../ssh/ssh-service';
import { downloadVerified } from './artifact-download';
import type { CaptureHost } from './capture-host';
import { uploadToolkit } from './host-toolkit';
import { openSftpSession, sftpCall } from './sftp-session';
import { openGuestConnection } from './ssh-guest';

/** What the SSH-backed capture host is built from. */
export interface SshCaptureHostDeps {
  readonly ssh: SshService;
  /** The app's one helper access (the hosts service's): captures share its deployments. */
  readonly helper: HelperAccess;
  /** The helper's `list` entry the app last showed for a VM key, or null (the hosts service's `listedVm`). */
  readonly listedVm?: (hostId: string, vmId: string) => unknown;
}

/** Where kept artifacts go on the host, relative to the login's home. */
export const hostKeptRoot = '.cache/civic-workbench/kept';

/** The capture host over the app's SSH connections and the deployed helper. */
export function createSshCaptureHost(deps: SshCaptureHostDeps): CaptureHost {
  const { ssh, helper } = deps;

  return {
    async connect(hostId, signal) {
      await ssh.connect(hostId, signal);
    },
    async facts(hostId, signal) {
      const host = await ssh.hosts.get(hostId);
      // The key this connection was verified with, not a known_hosts entry: a file can list several.
      const connection = await ssh.connect(hostId, signal);
      return { label: `${host.user}@${host.hostName}:${host.port}`, name: host.alias, hostKeySha256: connection.hostKeySha256 };
    },
    listedVm: async (hostId, vmId) => deps.listedVm?.(hostId, vmId) ?? null,
    async deployHelper(hostId, signal) {
      return (await helper.deploy(hostId, signal)).hello.helperVersion;
    },
    async runHelper(hostId, verb, args, context) {
      await helper.helperDir(hostId, context.signal);
      const startedAt = new Date().toISOString();
      const { payload, argv } = await helper.run(hostId, verb, args, context);
      return { payload, command: { argv: [...argv], exitCode: 0, startedAt, endedAt: new Date().toISOString() } };
    },
    async uploadToolkit(hostId, toolkit, signal) {
      const connection = await ssh.connect(hostId, signal);
      return uploadToolkit({ connection, run: (argv, options) => ssh.run(hostId, argv, options) }, toolkit, signal);
    },
    async download(hostId, remotePath, localPath, expected, options) {
      await downloadVerified(async () => openSftpSession(await ssh.connect(hostId, options.signal)), remotePath, localPath, expected, options);
    },
    async freePort(hostId, signal) {
      // The kernel picks a free port; it stays free for the moment until the clone's QEMU binds it.
      const script = "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])";
      const result = await ssh.run(hostId, ['python3', '-c', script], { signal, maxOutputBytes: 4096 });
      const port = Number(result.stdout.toString('utf8').trim());
      if (result.exitCode !== 0 || !Number.isInteger(port) || port < 1024 || port > 65535) {
        throw new WorkbenchFailure('HELPER_FAILED', 'Could not find a free port on the host for the clone\'s SSH forward.', { subject: hostId });
      }
      return port;
    },
    async openGuest(hostId, port, login, signal) {
      const connection = await ssh.connect(hostId, signal);
      return openGuestConnection(connection, port, login, `${login.user}@clone:${port} via ${connection.label}`, signal);
    },
    async keep(hostId, sessionDir, paths, keptName) {
      const connection = await ssh.connect(hostId);
      const sftp = await openSftpSession(connection);
      let home: string;
      try {
        home = await sftpCall<string>((callback) => sftp.realpath('.', callback));
      } finally {
        sftp.end();
      }
      const target = posix.join(home, hostKeptRoot, keptName);
      for (const path of paths) {
        const destination = posix.join(target, path);
        const result = await ssh.runPrivileged(hostId, ['sh', '-c', 'mkdir -p -m 700 -- "$(dirname -- "$2")" && cp -p -- "$1" "$2"', 'civic-keep', posix.join(sessionDir, path), destination], {
          maxOutputBytes: 4096,
        });
        if (result.exitCode !== 0) {
          throw new WorkbenchFailure('HELPER_FAILED', `Could not keep ${path} on ${connection.label}.`, { subject: destination });
        }
      }
      return target;
    },
  };
}
