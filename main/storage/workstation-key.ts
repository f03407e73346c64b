import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmod, lstat, mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { WorkstationKeyInfo } from '../../preload/api';
import { WorkbenchFailure } from '../errors';
import { writeFileAtomic } from './atomic-write';

/** The folder under app data that holds the workstation key (0700). */
export const KEYS_FOLDER = 'keys';
/** The private key, PKCS#8 PEM (0600). */
export const PRIVATE_KEY_FILE = 'workstation-ed25519.key';
/** The name the user gave the key and when it was made (0600). */
export const KEY_INFO_FILE = 'workstation-key.json';

// An Ed25519 SubjectPublicKeyInfo is this fixed DER prefix followed by the 32 raw key bytes (RFC 8410).
const SPKI_PREFIX_BYTES = 12;

const keyInfoSchema = z.strictObject({ name: z.string().min(1).max(128).nullable(), createdAt: z.string().min(1).max(64) });

/** The workstation key as a signer of captures. */
export interface WorkstationSigner {
  readonly publicKeyRaw: Uint8Array;
  readonly name: string | null;
  sign(message: Uint8Array): Uint8Array;
}

/** The workstation's Ed25519 key: made on first use, kept with owner-only permissions in app data. */
export interface WorkstationKeyStore {
  /** The public key, fingerprint and name; makes the key if there is none yet. */
  info(): Promise<WorkstationKeyInfo>;
  /** Sets (or clears, with null) the name shown beside the fingerprint. */
  setName(name: string | null): Promise<WorkstationKeyInfo>;
  /** The key as a signer; makes the key if there is none yet. */
  signer(): Promise<WorkstationSigner>;
}

interface LoadedKey {
  readonly privateKey: KeyObject;
  readonly publicKeyRaw: Buffer;
  readonly publicKeyPem: string;
  readonly name: string | null;
  readonly createdAt: string;
}

function unusable(message: string, subject: string, cause?: unknown): WorkbenchFailure {
  return new WorkbenchFailure('WORKSTATION_KEY_UNUSABLE', message, { subject, ...(cause === undefined ? {} : { cause }) });
}

/** Like OpenSSH with a private key: refuse one that group or others could read, rather than use it. */
async function checkOwnerOnly(path: string, isFolder: boolean): Promise<void> {
  if (process.platform === 'win32') return;
  const stats = await lstat(path);
  if (isFolder ? !stats.isDirectory() : !stats.isFile()) throw unusable(`${path} is not a ${isFolder ? 'folder' : 'regular file'}.`, path);
  if ((stats.mode & 0o077) !== 0) {
    throw unusable(`${path} has permissions ${(stats.mode & 0o777).toString(8)}; the workstation key must be owner-only.`, path);
  }
  if (typeof process.getuid === 'function' && stats.uid !== process.getuid()) throw unusable(`${path} belongs to another user.`, path);
}

function fingerprintOf(publicKeyRaw: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(publicKeyRaw).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Opens the key store under `appDataDir/keys`.
 *
 * The private key never leaves this module: callers get the public key and a `sign` function.
 * `now` stamps a new key's creation time (tests pass a fixed clock).
 */
export function createWorkstationKeyStore(appDataDir: string, now: () => Date = () => new Date()): WorkstationKeyStore {
  const folder = join(appDataDir, KEYS_FOLDER);
  const keyPath = join(folder, PRIVATE_KEY_FILE);
  const infoPath = join(folder, KEY_INFO_FILE);
  let loading: Promise<LoadedKey> | null = null;

  const create = async (): Promise<void> => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
    // 'wx': two processes making the key at once keep the first one written, never a mix.
    let handle;
    try {
      handle = await open(keyPath, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
      throw error;
    }
    try {
      await handle.writeFile(pem);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await writeFileAtomic(infoPath, JSON.stringify({ name: null, createdAt: now().toISOString() }, null, 2) + '\n', 0o600);
  };

  const readInfo = async (): Promise<{ name: string | null; createdAt: string }> => {
    try {
      const parsed = keyInfoSchema.safeParse(JSON.parse(await readFile(infoPath, 'utf8')));
      if (parsed.success) return parsed.data;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
    }
    // The name is a convenience; a lost or damaged info file must not make the key unusable.
    return { name: null, createdAt: (await lstat(keyPath)).mtime.toISOString() };
  };

  const load = async (): Promise<LoadedKey> => {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    await checkOwnerOnly(folder, true);
    try {
      await lstat(keyPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unusable('The workstation key cannot be read.', keyPath, error);
      await create();
    }
    await checkOwnerOnly(keyPath, false);
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(await readFile(keyPath, 'utf8'));
    } catch (error) {
      throw unusable('The workstation key file is not a private key.', keyPath, error);
    }
    if (privateKey.asymmetricKeyType !== 'ed25519') throw unusable('The workstation key is not an Ed25519 key.', keyPath);
    const publicKey = createPublicKey(privateKey);
    const publicKeyRaw = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX_BYTES);
    const info = await readInfo();
    return { privateKey, publicKeyRaw, publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), ...info };
  };

  const loaded = (): Promise<LoadedKey> => {
    loading ??= load().catch((error: unknown) => {
      loading = null;
      throw error;
    });
    return loading;
  };

  const toInfo = (key: LoadedKey): WorkstationKeyInfo => ({
    fingerprint: fingerprintOf(key.publicKeyRaw),
    name: key.name,
    publicKeyPem: key.publicKeyPem,
    createdAt: key.createdAt,
  });

  return {
    info: async () => toInfo(await loaded()),
    async setName(name) {
      const key = await loaded();
      const trimmed = name === null ? null : name.trim() || null;
      await writeFileAtomic(infoPath, JSON.stringify({ name: trimmed, createdAt: key.createdAt }, null, 2) + '\n', 0o600);
      await chmod(infoPath, 0o600);
      loading = Promise.resolve({ ...key, name: trimmed });
      return toInfo(await loading);
    },
    async signer() {
      const key = await loaded();
      return { publicKeyRaw: key.publicKeyRaw, name: key.name, sign: (message) => sign(null, message, key.privateKey) };
    },
  };
}
