import { createHash } from 'node:crypto';
import { chmod, mkdir, open, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CustodyEntry } from '../../preload/api';
import { WorkbenchFailure, throwIfAborted } from '../errors';
import { ARTIFACTS_FOLDER, BUNDLE_FORMAT_ID, BUNDLE_SCHEMA_VERSION, CUSTODY_NAME, MANIFEST_NAME, SIGNATURE_NAME } from './bundle-limits';
import { manifestSchema, type ArtifactRole, type Manifest, type ManifestArtifact, type ManifestCommand } from './bundle-schema';
import { SEAL_ACTION, custodyLine, nextCustodyEntry, type CustodyEvent } from './custody';
import { openBundle } from './bundle-reader';
import { checkEntryName } from './entry-name';
import { createSignature, type BundleSigner } from './signature';

/** Who and what a capture is about: the manifest fields known when the capture starts. */
export interface BundleIdentity {
  readonly captureId: string;
  readonly toolVersion: string;
  readonly helperVersion: string;
  readonly host: { readonly name: string; readonly hostKeySha256: string };
  readonly vm: { readonly name: string; readonly uuid: string };
  readonly cloneId: string;
  readonly startedAt: string;
}

/** An artifact about to be written. */
export interface ArtifactSpec {
  /** Path inside the bundle, under `artifacts/` (e.g. `artifacts/processes.json`). */
  readonly path: string;
  readonly mediaType: string;
  readonly role: ArtifactRole;
}

/** Content of an artifact: bytes, text, or a stream of chunks (large dumps). */
export type ArtifactContent = string | Uint8Array | AsyncIterable<Uint8Array>;

/** What sealing produced. */
export interface SealedBundle {
  readonly folder: string;
  readonly manifest: Manifest;
  readonly manifestSha256: string;
  readonly custody: readonly CustodyEntry[];
}

/** Builds one bundle folder; artifacts are hashed while they are written. */
export interface BundleWriter {
  readonly folder: string;
  /** Writes an artifact and records it for the manifest. */
  addArtifact(spec: ArtifactSpec, content: ArtifactContent, options?: { signal?: AbortSignal }): Promise<ManifestArtifact>;
  /** Writes a JSON artifact (`application/json`, two-space indented). */
  addJson(spec: Omit<ArtifactSpec, 'mediaType'>, value: unknown): Promise<ManifestArtifact>;
  /** Records a command the helper ran. */
  recordCommand(command: ManifestCommand): void;
  /**
   * Writes the manifest, seals it with custody entry 1 (stamped now unless `at` is given), and makes
   * every file read-only.
   *
   * The writer cannot be used afterwards; later custody entries go through `appendCustody`.
   */
  seal(options: { readonly endedAt: string; readonly actor: string; readonly at?: string }): Promise<SealedBundle>;
}

async function* chunksOf(content: ArtifactContent): AsyncIterable<Uint8Array> {
  if (typeof content === 'string') yield Buffer.from(content, 'utf8');
  else if (content instanceof Uint8Array) yield content;
  else yield* content;
}

async function writeNewFile(
  path: string,
  content: ArtifactContent,
  signal?: AbortSignal,
): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const handle = await open(path, 'wx', 0o600);
  try {
    for await (const chunk of chunksOf(content)) {
      throwIfAborted(signal);
      hash.update(chunk);
      size += chunk.length;
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
        offset += bytesWritten;
      }
    }
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(path, { force: true });
    throw error;
  }
  await handle.close();
  return { size, sha256: hash.digest('hex') };
}

/**
 * Starts a bundle in a new folder (it must not exist yet; its parent is created).
 *
 * Later work (collection, diagnostics) adds artifacts as they arrive, then seals.
 */
export async function createBundleWriter(folder: string, identity: BundleIdentity): Promise<BundleWriter> {
  await mkdir(dirname(folder), { recursive: true });
  try {
    await mkdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new WorkbenchFailure('VALIDATION_FAILED', 'A bundle folder already exists there; bundles are never overwritten.', {
        subject: folder,
      });
    }
    throw error;
  }
  await mkdir(join(folder, ARTIFACTS_FOLDER));
  const artifacts: ManifestArtifact[] = [];
  const commands: ManifestCommand[] = [];
  const pending = new Set<string>();
  let sealed = false;

  const assertOpen = (): void => {
    if (sealed) throw new WorkbenchFailure('VALIDATION_FAILED', 'The bundle is sealed; it cannot change.');
  };

  const addArtifact: BundleWriter['addArtifact'] = async (spec, content, options = {}) => {
    assertOpen();
    const path = checkEntryName(spec.path);
    if (!path.startsWith(`${ARTIFACTS_FOLDER}/`)) {
      throw new WorkbenchFailure('VALIDATION_FAILED', `Artifacts live under ${ARTIFACTS_FOLDER}/.`, { subject: path });
    }
    if (pending.has(path)) throw new WorkbenchFailure('BUNDLE_DUPLICATE_ENTRY', `${path} was already added.`, { subject: path });
    pending.add(path);
    const target = join(folder, ...path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    const written = await writeNewFile(target, content, options.signal);
    const record: ManifestArtifact = { path, mediaType: spec.mediaType, size: written.size, sha256: written.sha256, role: spec.role };
    artifacts.push(record);
    return record;
  };

  return {
    folder,
    addArtifact,
    addJson: (spec, value) => addArtifact({ ...spec, mediaType: 'application/json' }, JSON.stringify(value, null, 2) + '\n'),
    recordCommand(command) {
      assertOpen();
      commands.push(command);
    },
    async seal(options) {
      assertOpen();
      sealed = true;
      const manifest = manifestSchema.parse({
        schemaVersion: BUNDLE_SCHEMA_VERSION,
        format: BUNDLE_FORMAT_ID,
        ...identity,
        endedAt: options.endedAt,
        commands,
        artifacts,
      } satisfies Manifest);
      const manifestText = JSON.stringify(manifest, null, 2) + '\n';
      const manifestSha256 = createHash('sha256').update(manifestText, 'utf8').digest('hex');
      await writeNewFile(join(folder, MANIFEST_NAME), manifestText);
      const seal = nextCustodyEntry(undefined, {
        // Stamped now, from the clock every later entry uses, so entry 1 is never after entry 2.
        ...(options.at === undefined ? {} : { at: options.at }),
        actor: options.actor,
        action: SEAL_ACTION,
        subject: MANIFEST_NAME,
        sha256: manifestSha256,
      });
      await writeNewFile(join(folder, CUSTODY_NAME), custodyLine(seal));
      for (const name of [MANIFEST_NAME, CUSTODY_NAME, ...artifacts.map((artifact) => artifact.path)]) {
        await chmod(join(folder, ...name.split('/')), 0o444);
      }
      return { folder, manifest, manifestSha256, custody: [seal] };
    },
  };
}

/**
 * Appends one entry to a sealed bundle folder's custody log (a transfer, a review, an export).
 *
 * Reads and checks the existing chain first, so an entry is never chained onto a broken log.
 */
export async function appendCustody(folder: string, event: CustodyEvent): Promise<CustodyEntry> {
  const bundle = await openBundle(folder, { checkArtifacts: false });
  await bundle.close();
  const broken = bundle.integrity.problems.find((problem) => problem.code === 'BUNDLE_CUSTODY_BROKEN');
  if (broken) throw new WorkbenchFailure(broken.code, broken.message, broken.subject === undefined ? {} : { subject: broken.subject });
  const entry = nextCustodyEntry(bundle.custody.at(-1), event);
  const path = join(folder, CUSTODY_NAME);
  await chmod(path, 0o644);
  try {
    const handle = await open(path, 'a');
    try {
      await handle.write(custodyLine(entry));
      await handle.sync();
    } finally {
      await handle.close();
    }
  } finally {
    await chmod(path, 0o444);
  }
  return entry;
}

/**
 * Signs a sealed bundle folder: writes `signature.json` over its manifest and current custody head.
 *
 * Checks the chain first, so a broken log is never signed; refuses a folder that is already signed.
 * Entries appended afterwards extend the chain but are not covered by the signature.
 */
export async function signBundle(folder: string, signer: BundleSigner, now: () => Date = () => new Date()): Promise<void> {
  const bundle = await openBundle(folder, { checkArtifacts: false });
  await bundle.close();
  const broken = bundle.integrity.problems.find((problem) => problem.code === 'BUNDLE_CUSTODY_BROKEN');
  if (broken) throw new WorkbenchFailure(broken.code, broken.message, broken.subject === undefined ? {} : { subject: broken.subject });
  const head = bundle.custody.at(-1);
  if (head === undefined) throw new WorkbenchFailure('BUNDLE_CUSTODY_BROKEN', 'The bundle has no custody entry to sign.', { subject: CUSTODY_NAME });
  const signedAt = new Date(Math.max(now().getTime(), Date.parse(head.at))).toISOString();
  const text = createSignature(signer, { manifestSha256: bundle.manifestSha256, custodyHead: head, signedAt });
  const path = join(folder, SIGNATURE_NAME);
  const handle = await open(path, 'wx', 0o444);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
