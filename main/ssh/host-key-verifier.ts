import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { WorkbenchFailure } from '../errors';
import { createLogger } from '../logging/logger';
import { writeFileAtomic } from '../storage/atomic-write';
import { defaultGlobalKnownHostsFiles, type HostKeyPolicy } from '../hosts/host-key-policy';
import {
  decideHostKey,
  fingerprintSha256,
  formatKnownHostLine,
  formatKnownHostLineFor,
  hostKeyNames,
  keyTypeOf,
  knownHostName,
  knownKeyTypesFor,
  type KnownHostEntry,
} from './known-hosts';
import { readKnownHostsFor } from './known-hosts-file';

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
  /** Read-only files used when a host's config names none, normally `~/.ssh/known_hosts{,2}` (missing files are fine). */
  readonly userKnownHostsFiles: readonly string[];
  /** System-wide files used when a host's config names none; OpenSSH's `/etc/ssh/ssh_known_hosts{,2}` if absent. */
  readonly globalKnownHostsFiles?: readonly string[];
  /** The app's own file; accepted keys are appended here. */
  readonly appKnownHostsFile: string;
  readonly confirmUnknownHost: ConfirmUnknownHost;
}

/** What a connect knows about the server before the key exchange. */
export interface HostKeyTarget {
  readonly host: string;
  readonly port: number;
  readonly policy?: HostKeyPolicy;
  /** The address connected to, for `CheckHostIP`; absent through a jump host (as OpenSSH with a proxy). */
  readonly address?: string;
}

/** The known_hosts entries of one connect, read once: what to offer and how to judge the key. */
export interface HostKeyCheck {
  /** Host key algorithms to offer first, so the server shows the key type we already know. */
  readonly algorithms: readonly string[];
  /** Resolves when the key is trusted (maybe after asking); throws a HOST_KEY_* WorkbenchFailure otherwise. */
  verify(key: Buffer): Promise<void>;
}

/** Checks server keys against known_hosts before any authentication happens. */
export interface HostKeyVerifier {
  /** Reads the known_hosts files once for a connect. */
  prepare(target: HostKeyTarget): Promise<HostKeyCheck>;
}

/** The verifier the app builds, with one-shot helpers for callers that check a single key. */
export interface FileHostKeyVerifier extends HostKeyVerifier {
  verify(host: string, port: number, key: Buffer, policy?: HostKeyPolicy): Promise<void>;
  preferredAlgorithms(host: string, port: number, policy?: HostKeyPolicy): Promise<string[]>;
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

/** OpenSSH turns CheckHostIP off for loopback addresses and when the host is given as that address. */
function ipCheckName(target: HostKeyTarget): string | undefined {
  const address = target.address;
  if (target.policy?.checkHostIp !== true || address === undefined || target.policy.hostKeyAlias !== undefined) return undefined;
  const loopback = isIP(address) === 4 ? address.startsWith('127.') : address === '::1';
  if (loopback || address === target.host) return undefined;
  return knownHostName(address, target.port);
}

function describeKnown(entries: readonly KnownHostEntry[]): string {
  return entries.map((entry) => `${entry.keyType} ${fingerprintSha256(entry.key)} (${entry.file}:${entry.line})`).join(', ');
}

/** Creates the verifier backed by the user's, the system's and the app's known_hosts files. */
export function createHostKeyVerifier(options: HostKeyVerifierOptions): FileHostKeyVerifier {
  // Appends are chained so two hosts accepted at once cannot lose each other's line.
  let appendChain: Promise<void> = Promise.resolve();

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

  const prepare = async (target: HostKeyTarget): Promise<HostKeyCheck> => {
    const { host, port, policy } = target;
    const names = hostKeyNames(host, port, policy?.hostKeyAlias);
    const ipName = ipCheckName(target);
    const files = [
      ...(policy?.userKnownHostsFiles ?? options.userKnownHostsFiles),
      ...(policy?.globalKnownHostsFiles ?? options.globalKnownHostsFiles ?? defaultGlobalKnownHostsFiles),
      options.appKnownHostsFile,
    ];
    const wanted = [names.primary, ...(names.withoutPort === undefined ? [] : [names.withoutPort]), ...(ipName === undefined ? [] : [ipName])];
    const entries = await readKnownHostsFor(files, wanted);
    const known = knownKeyTypesFor(entries, names.primary).flatMap((type) => algorithmsForKeyType[type] ?? []);
    const strict = policy?.strictHostKeyChecking ?? 'ask';
    const name = names.primary;

    const verify = async (key: Buffer): Promise<void> => {
      const fingerprint = fingerprintSha256(key);
      if (policy?.configError !== undefined) {
        throw new WorkbenchFailure('HOST_KEY_UNKNOWN', `The host key of ${name} cannot be checked: ${policy.configError}`, { subject: name });
      }
      const status = decideHostKey(entries, names, key);
      if (status.kind === 'revoked') {
        throw new WorkbenchFailure(
          'HOST_KEY_REVOKED',
          `The host key of ${name} (${fingerprint}) is marked @revoked in ${status.entry.file}:${status.entry.line}.`,
          { subject: `${status.entry.file}:${status.entry.line}` },
        );
      }
      if (status.kind === 'changed') {
        const first = status.known[0];
        throw new WorkbenchFailure(
          'HOST_KEY_MISMATCH',
          `The host key of ${name} changed: the server now offers ${keyTypeOf(key)} ${fingerprint}, but known_hosts has ${describeKnown(status.known)}.`,
          { subject: first === undefined ? name : `${first.file}:${first.line}` },
        );
      }
      if (ipName !== undefined) {
        // CheckHostIP: a different key recorded for the address refuses the connection in every mode.
        const byAddress = decideHostKey(entries, { primary: ipName }, key);
        if (byAddress.kind === 'changed') {
          throw new WorkbenchFailure(
            'HOST_KEY_MISMATCH',
            `The host key of ${name} differs from the key known_hosts has for its address ${ipName}: ${describeKnown(byAddress.known)} (CheckHostIP).`,
            { subject: `${byAddress.known[0]?.file ?? name}:${byAddress.known[0]?.line ?? 0}` },
          );
        }
      }
      if (status.kind === 'trusted') return;
      if (status.kind === 'cert-authority') {
        throw new WorkbenchFailure(
          'HOST_KEY_UNSUPPORTED',
          `${name} is trusted through an @cert-authority line (${status.entry.file}:${status.entry.line}), and host certificates are not supported.`,
          { subject: `${status.entry.file}:${status.entry.line}` },
        );
      }
      const unknown: UnknownHostKey = { host, port, keyType: keyTypeOf(key), fingerprint };
      if (strict === 'yes') {
        throw new WorkbenchFailure('HOST_KEY_UNKNOWN', `No host key is known for ${name} (${fingerprint}) and StrictHostKeyChecking is yes.`, {
          subject: name,
        });
      }
      if (strict === 'ask' && !(await options.confirmUnknownHost(unknown))) {
        throw new WorkbenchFailure('HOST_KEY_UNKNOWN', `The host key of ${name} (${fingerprint}) was not accepted.`, { subject: name });
      }
      await append(policy?.hostKeyAlias === undefined ? formatKnownHostLine(host, port, key) : formatKnownHostLineFor(name, key));
      log.info(`accepted new host key for ${name}: ${unknown.keyType} ${fingerprint}${strict === 'ask' ? '' : ` (StrictHostKeyChecking ${strict})`}`);
    };

    return { algorithms: [...new Set([...known, ...allAlgorithms])], verify };
  };

  return {
    prepare,
    async verify(host, port, key, policy) {
      await (await prepare({ host, port, ...(policy === undefined ? {} : { policy }) })).verify(key);
    },
    async preferredAlgorithms(host, port, policy) {
      return [...(await prepare({ host, port, ...(policy === undefined ? {} : { policy }) })).algorithms];
    },
  };
}
