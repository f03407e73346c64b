import { readFile } from 'node:fs/promises';
import { WorkbenchFailure } from '../errors';
import { createLogger } from '../logging/logger';
import { writeFileAtomic } from '../storage/atomic-write';
import {
  checkHostKey,
  fingerprintSha256,
  formatKnownHostLine,
  knownHostName,
  keyTypeOf,
  knownKeyTypes,
  parseKnownHosts,
  type KnownHostEntry,
} from './known-hosts';

const log = createLogger('ssh');

/** A key no known_hosts file knows, as shown to the user for a decision. */
export interface UnknownHostKey {
  readonly host: string;
  readonly port: number;
  readonly keyType: string;
  /** `SHA256:...` as OpenSSH prints it. */
  readonly fingerprint: string;
}

/** Asks the user whether to trust a new host key; true appends it to the app's known_hosts. */
export type ConfirmUnknownHost = (key: UnknownHostKey) => Promise<boolean>;

/** Where trusted keys live and who decides about new ones. */
export interface HostKeyVerifierOptions {
  /** Read-only files, normally `~/.ssh/known_hosts` (missing files are fine). */
  readonly userKnownHostsFiles: readonly string[];
  /** The app's own file; accepted keys are appended here. */
  readonly appKnownHostsFile: string;
  readonly confirmUnknownHost: ConfirmUnknownHost;
}

/** Checks server keys against known_hosts before any authentication happens. */
export interface HostKeyVerifier {
  /** Resolves when the key is trusted (maybe after asking); throws a HOST_KEY_* WorkbenchFailure otherwise. */
  verify(host: string, port: number, key: Buffer): Promise<void>;
  /** Host key algorithms to offer first, so the server shows the key type we already know. */
  preferredAlgorithms(host: string, port: number): Promise<string[]>;
}

const algorithmsForKeyType: Record<string, readonly string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/** Every host key algorithm ssh2 speaks, in its default order of preference. */
const allAlgorithms = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

async function readEntries(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Creates the verifier backed by the user's and the app's known_hosts files. */
export function createHostKeyVerifier(options: HostKeyVerifierOptions): HostKeyVerifier {
  const files = [...options.userKnownHostsFiles, options.appKnownHostsFile];
  // Appends are chained so two hosts accepted at once cannot lose each other's line.
  let appendChain: Promise<void> = Promise.resolve();

  const loadAll = async (): Promise<KnownHostEntry[]> => (await Promise.all(files.map(readEntries))).flat();

  const append = (line: string): Promise<void> => {
    const next = appendChain.then(async () => {
      let current = '';
      try {
        current = await readFile(options.appKnownHostsFile, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      const separator = current === '' || current.endsWith('\n') ? '' : '\n';
      await writeFileAtomic(options.appKnownHostsFile, `${current}${separator}${line}\n`);
    });
    appendChain = next.catch(() => undefined);
    return next;
  };

  return {
    async verify(host, port, key) {
      const name = knownHostName(host, port);
      const fingerprint = fingerprintSha256(key);
      const status = checkHostKey(await loadAll(), host, port, key);
      switch (status.kind) {
        case 'trusted':
          return;
        case 'revoked':
          throw new WorkbenchFailure(
            'HOST_KEY_REVOKED',
            `The host key of ${name} (${fingerprint}) is marked @revoked in ${status.entry.file}:${status.entry.line}.`,
            { subject: `${status.entry.file}:${status.entry.line}` },
          );
        case 'cert-authority':
          throw new WorkbenchFailure(
            'HOST_KEY_UNSUPPORTED',
            `${name} is trusted through an @cert-authority line (${status.entry.file}:${status.entry.line}), and host certificates are not supported.`,
            { subject: `${status.entry.file}:${status.entry.line}` },
          );
        case 'changed': {
          const known = status.known
            .map((entry) => `${entry.keyType} ${fingerprintSha256(entry.key)} (${entry.file}:${entry.line})`)
            .join(', ');
          const first = status.known[0];
          throw new WorkbenchFailure(
            'HOST_KEY_MISMATCH',
            `The host key of ${name} changed: the server now offers ${keyTypeOf(key)} ${fingerprint}, but known_hosts has ${known}.`,
            { subject: first === undefined ? name : `${first.file}:${first.line}` },
          );
        }
        case 'unknown': {
          const unknown: UnknownHostKey = { host, port, keyType: keyTypeOf(key), fingerprint };
          if (!(await options.confirmUnknownHost(unknown))) {
            throw new WorkbenchFailure('HOST_KEY_UNKNOWN', `The host key of ${name} (${fingerprint}) was not accepted.`, {
              subject: name,
            });
          }
          await append(formatKnownHostLine(host, port, key));
          log.info(`accepted new host key for ${name}: ${unknown.keyType} ${fingerprint}`);
          return;
        }
      }
    },
    async preferredAlgorithms(host, port) {
      const known = knownKeyTypes(await loadAll(), host, port).flatMap((type) => algorithmsForKeyType[type] ?? []);
      return [...new Set([...known, ...allAlgorithms])];
    },
  };
}
