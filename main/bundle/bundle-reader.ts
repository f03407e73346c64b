import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import type { CustodyEntry, IntegrityReport, WorkbenchError } from '../../preload/api';
import { WorkbenchFailure, throwIfAborted, workbenchError } from '../errors';
import {
  ARTIFACTS_FOLDER,
  BUNDLE_FORMAT_ID,
  BUNDLE_SCHEMA_VERSION,
  CUSTODY_NAME,
  MANIFEST_NAME,
  MAX_CUSTODY_BYTES,
  MAX_DOCUMENT_BYTES,
  MAX_JSON_DEPTH,
  MAX_MANIFEST_BYTES,
  MAX_SIGNATURE_BYTES,
  SIGNATURE_NAME,
} from './bundle-limits';
import { documentSchemas, manifestSchema, type Manifest, type ManifestArtifact } from './bundle-schema';
import type { BundleSource } from './bundle-source';
import { checkCustody } from './custody';
import { checkEntryName } from './entry-name';
import { openFolderSource } from './folder-source';
import { checkSignature } from './signature';
import { JsonDepthScanner } from './json-depth';
import { digestStream } from './stream-digest';
import { visibleName } from './visible-name';
import { openZipSource } from './zip-source';

/** Options of `openBundle`. */
export interface OpenBundleOptions {
  readonly signal?: AbortSignal;
  /** Progress of the verification, `value` 0..1, with the step in words. */
  readonly onProgress?: (value: number, step: string) => void;
  /**
   * Hash every artifact (the default). Off only for callers that need the manifest and custody chain
   * alone (appending custody); the report then counts no artifacts as checked.
   */
  readonly checkArtifacts?: boolean;
}

/** The structured roles a reader can load as documents. */
export type DocumentRole = keyof typeof documentSchemas;

/** The parsed document of a structured role. */
export type BundleDocument<R extends DocumentRole> = z.infer<(typeof documentSchemas)[R]>;

/** A bundle that was opened and verified; structured artifacts are read on demand. */
export interface OpenedBundle {
  readonly path: string;
  readonly form: 'folder' | 'zip';
  readonly manifest: Manifest;
  readonly manifestSha256: string;
  readonly custody: readonly CustodyEntry[];
  readonly integrity: IntegrityReport;
  /** Paths of artifacts that failed verification. */
  readonly failedArtifacts: ReadonlySet<string>;
  /** The artifact with a role, if the manifest lists one. */
  artifactFor(role: DocumentRole): ManifestArtifact | undefined;
  /**
   * Reads, re-hashes and parses a structured artifact.
   *
   * Throws BUNDLE_DOCUMENT_TOO_LARGE, BUNDLE_DOCUMENT_TOO_DEEP, BUNDLE_DOCUMENT_INVALID or
   * BUNDLE_HASH_MISMATCH (content changed since it was verified) with the artifact as subject.
   */
  readDocument<R extends DocumentRole>(role: R): Promise<BundleDocument<R>>;
  close(): Promise<void>;
}

/** True when a folder holds none of the names a capture always has: it is some other folder, not a damaged capture. */
async function lacksEveryCaptureName(folder: string): Promise<boolean> {
  for (const name of [MANIFEST_NAME, CUSTODY_NAME, ARTIFACTS_FOLDER]) {
    try {
      await lstat(join(folder, name));
      return false;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
  }
  return true;
}

async function openSource(path: string): Promise<BundleSource> {
  let stats;
  try {
    stats = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new WorkbenchFailure('BUNDLE_NOT_FOUND', 'There is no capture at that path.');
    throw new WorkbenchFailure('BUNDLE_UNREADABLE', 'The capture cannot be read.', { cause: error });
  }
  // Checked before the walk, so a home folder is named as not a capture rather than by one of its files.
  if (stats.isDirectory() && (await lacksEveryCaptureName(path))) {
    throw new WorkbenchFailure('BUNDLE_NOT_A_CAPTURE', `${visibleName(path)} is not a capture: it has no manifest.json, custody.jsonl or artifacts folder.`, {
      subject: visibleName(path),
    });
  }
  try {
    if (stats.isDirectory()) return await openFolderSource(path);
    if (stats.isFile()) return await openZipSource(path);
  } catch (error) {
    if (error instanceof WorkbenchFailure) throw error;
    throw new WorkbenchFailure('BUNDLE_UNREADABLE', 'The capture cannot be read.', { cause: error });
  }
  throw new WorkbenchFailure('BUNDLE_UNREADABLE', 'A capture is a folder or a .civic file; this is neither.');
}

/** Reads a small JSON entry with its size cap and depth scan; returns the bytes and their SHA-256. */
async function readCappedEntry(source: BundleSource, name: string, maxBytes: number, signal?: AbortSignal) {
  const entry = source.entries.get(name);
  if (entry && entry.size > maxBytes) {
    throw new WorkbenchFailure('BUNDLE_DOCUMENT_TOO_LARGE', `${name} is larger than ${maxBytes} bytes.`, { subject: name });
  }
  const digest = await digestStream(await source.openRead(name), {
    ...(signal ? { signal } : {}),
    keep: { maxBytes, subject: name, depth: new JsonDepthScanner(MAX_JSON_DEPTH, name) },
  });
  return { bytes: digest.bytes ?? Buffer.alloc(0), sha256: digest.sha256 };
}

function parseJsonText(bytes: Uint8Array): unknown {
  return JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'it does not follow the schema';
  const where = issue.path.length === 0 ? 'the document' : issue.path.map((part) => String(part)).join('.');
  return `${visibleName(where)}: ${visibleName(issue.message)}`;
}

function parseManifest(bytes: Uint8Array): Manifest {
  let value: unknown;
  try {
    value = parseJsonText(bytes);
  } catch (error) {
    throw new WorkbenchFailure('BUNDLE_SCHEMA_INVALID', 'manifest.json is not valid UTF-8 JSON.', { subject: MANIFEST_NAME, cause: error });
  }
  if (typeof value === 'object' && value !== null && 'schemaVersion' in value) {
    const version = (value as { schemaVersion: unknown }).schemaVersion;
    if (typeof version === 'number' && version > BUNDLE_SCHEMA_VERSION) {
      throw new WorkbenchFailure(
        'BUNDLE_VERSION_UNSUPPORTED',
        `The capture uses bundle format version ${visibleName(String(version))}; this app reads version ${BUNDLE_SCHEMA_VERSION}.`,
        { subject: MANIFEST_NAME },
      );
    }
  }
  if (typeof value === 'object' && value !== null && (value as { format?: unknown }).format !== BUNDLE_FORMAT_ID) {
    throw new WorkbenchFailure('BUNDLE_SCHEMA_INVALID', `manifest.json is not a ${BUNDLE_FORMAT_ID} manifest.`, { subject: MANIFEST_NAME });
  }
  const result = manifestSchema.safeParse(value);
  if (!result.success) {
    throw new WorkbenchFailure('BUNDLE_SCHEMA_INVALID', `manifest.json is invalid at ${describeIssue(result.error.issues[0])}.`, {
      subject: MANIFEST_NAME,
    });
  }
  return result.data;
}

/** Checks the artifact list itself: safe unique paths under `artifacts/`, one artifact per structured role. */
function checkArtifactList(manifest: Manifest): void {
  const paths = new Set<string>();
  const roles = new Set<string>();
  for (const artifact of manifest.artifacts) {
    const name = checkEntryName(artifact.path);
    const shown = visibleName(name);
    if (!name.startsWith(`${ARTIFACTS_FOLDER}/`)) {
      throw new WorkbenchFailure('BUNDLE_SCHEMA_INVALID', `Artifact ${shown} is not under ${ARTIFACTS_FOLDER}/.`, { subject: shown });
    }
    if (paths.has(name)) throw new WorkbenchFailure('BUNDLE_DUPLICATE_ENTRY', `The manifest lists ${shown} twice.`, { subject: shown });
    paths.add(name);
    if (artifact.role in documentSchemas) {
      if (roles.has(artifact.role)) {
        throw new WorkbenchFailure('BUNDLE_SCHEMA_INVALID', `The manifest lists more than one ${artifact.role} artifact.`, {
          subject: shown,
        });
      }
      roles.add(artifact.role);
    }
  }
}

/** Refuses any entry that is neither the manifest, the custody log, a listed artifact nor a folder above one. */
function checkNothingUnlisted(source: BundleSource, manifest: Manifest): void {
  const allowed = new Set<string>([MANIFEST_NAME, CUSTODY_NAME, SIGNATURE_NAME]);
  // The artifacts folder may exist empty: a writer creates it before the first artifact arrives.
  const folders = new Set<string>([ARTIFACTS_FOLDER]);
  for (const artifact of manifest.artifacts) {
    allowed.add(artifact.path);
    const segments = artifact.path.split('/');
    for (let index = 1; index < segments.length; index += 1) folders.add(segments.slice(0, index).join('/'));
  }
  for (const entry of source.entries.values()) {
    const listed = entry.kind === 'folder' ? folders.has(entry.name) : allowed.has(entry.name);
    if (!listed) {
      const shown = visibleName(entry.name);
      throw new WorkbenchFailure('BUNDLE_UNLISTED_ENTRY', `The capture holds ${shown}, which its manifest does not list.`, {
        subject: shown,
      });
    }
  }
}

/** A throttle so a multi-GB verification reports a few hundred progress events, not millions. */
function createProgress(total: number, onProgress: OpenBundleOptions['onProgress']) {
  let done = 0;
  let lastReported = -1;
  let lastStep = '';
  return (bytes: number, step: string): void => {
    done += bytes;
    const value = total === 0 ? 1 : Math.min(1, done / total);
    if (step === lastStep && value - lastReported < 0.005) return;
    lastReported = value;
    lastStep = step;
    onProgress?.(value, step);
  };
}

async function verifyArtifact(
  source: BundleSource,
  artifact: ManifestArtifact,
  progress: (bytes: number, step: string) => void,
  signal: AbortSignal | undefined,
): Promise<{ problem?: WorkbenchError; bytes: number }> {
  const shown = visibleName(artifact.path);
  const entry = source.entries.get(artifact.path);
  if (!entry || entry.kind !== 'file') {
    return { problem: workbenchError('BUNDLE_ARTIFACT_MISSING', `${shown} is listed in the manifest but missing.`, shown), bytes: 0 };
  }
  if (entry.size !== artifact.size) {
    return {
      problem: workbenchError('BUNDLE_SIZE_MISMATCH', `${shown} is ${entry.size} bytes; the manifest records ${artifact.size}.`, shown),
      bytes: 0,
    };
  }
  // Structured documents meet the same caps here as when they are opened, so a capture that verifies
  // also opens; a declared size over the cap is refused before a byte of it is hashed.
  const structured = artifact.role in documentSchemas;
  if (structured && artifact.size > MAX_DOCUMENT_BYTES) {
    return {
      problem: workbenchError('BUNDLE_DOCUMENT_TOO_LARGE', `${shown} is ${artifact.size} bytes; documents may be at most ${MAX_DOCUMENT_BYTES}.`, shown),
      bytes: 0,
    };
  }
  const step = `Checking ${shown}`;
  progress(0, step);
  let digest;
  try {
    digest = await digestStream(await source.openRead(artifact.path), {
      ...(signal ? { signal } : {}),
      ...(structured ? { depth: new JsonDepthScanner(MAX_JSON_DEPTH, shown) } : {}),
      onBytes: (count) => progress(count, step),
      stopAfter: artifact.size,
    });
  } catch (error) {
    if (error instanceof WorkbenchFailure && error.code === 'CANCELLED') throw error;
    // A file swapped for a link after the listing keeps its own code.
    if (error instanceof WorkbenchFailure) return { problem: error.error, bytes: 0 };
    if (typeof (error as NodeJS.ErrnoException).code === 'string' && (error as NodeJS.ErrnoException).syscall !== undefined) {
      return { problem: workbenchError('BUNDLE_UNREADABLE', `${shown} cannot be read.`, shown), bytes: 0 };
    }
    // Damaged compressed data surfaces as an inflate or size error: the content is not what was sealed.
    return { problem: workbenchError('BUNDLE_HASH_MISMATCH', `${shown} cannot be read back intact.`, shown), bytes: 0 };
  }
  if (digest.size !== artifact.size) {
    return {
      problem: workbenchError('BUNDLE_SIZE_MISMATCH', `${shown} changed size while it was checked.`, shown),
      bytes: digest.size,
    };
  }
  if (digest.sha256 !== artifact.sha256) {
    return {
      problem: workbenchError('BUNDLE_HASH_MISMATCH', `${shown} does not match its recorded SHA-256.`, shown),
      bytes: digest.size,
    };
  }
  return { bytes: digest.size };
}

/**
 * Opens a capture bundle (folder or `.civic`) and verifies it, trusting nothing in it.
 *
 * Structural problems (not a bundle, unsafe or unlisted entries, a manifest that is missing, too big,
 * too deep or off-schema) throw WorkbenchFailure. Integrity problems of single artifacts and of the
 * custody chain are collected in `integrity.problems`, so a damaged capture still opens to show what
 * failed. Nothing is ever written.
 */
export async function openBundle(path: string, options: OpenBundleOptions = {}): Promise<OpenedBundle> {
  const { signal } = options;
  throwIfAborted(signal);
  options.onProgress?.(0, 'Reading the manifest');
  const source = await openSource(path);
  try {
    const manifestEntry = source.entries.get(MANIFEST_NAME);
    if (!manifestEntry || manifestEntry.kind !== 'file') {
      throw new WorkbenchFailure('BUNDLE_MANIFEST_MISSING', 'The capture has no manifest.json.', { subject: MANIFEST_NAME });
    }
    const manifestRead = await readCappedEntry(source, MANIFEST_NAME, MAX_MANIFEST_BYTES, signal);
    const manifest = parseManifest(manifestRead.bytes);
    checkArtifactList(manifest);
    checkNothingUnlisted(source, manifest);

    const problems: WorkbenchError[] = [];
    const warnings: WorkbenchError[] = [];
    const failed = new Set<string>();
    let custody: readonly CustodyEntry[] = [];
    if (source.entries.get(CUSTODY_NAME)?.kind !== 'file') {
      problems.push(workbenchError('BUNDLE_CUSTODY_BROKEN', 'The capture has no custody log.', CUSTODY_NAME));
    } else {
      const custodyRead = await readCappedEntry(source, CUSTODY_NAME, MAX_CUSTODY_BYTES, signal);
      const check = checkCustody(custodyRead.bytes, manifestRead.sha256);
      custody = check.entries;
      problems.push(...check.problems);
      warnings.push(...check.warnings);
    }
    const signatureEntry = source.entries.get(SIGNATURE_NAME);
    const signatureBytes =
      signatureEntry === undefined ? null : (await readCappedEntry(source, SIGNATURE_NAME, MAX_SIGNATURE_BYTES, signal).catch(() => ({ bytes: Buffer.from('') }))).bytes;
    const signature = checkSignature(signatureBytes, manifestRead.sha256, custody);
    problems.push(...signature.problems);

    const total = manifest.artifacts.reduce((sum, artifact) => sum + artifact.size, 0);
    const progress = createProgress(total, options.onProgress);
    let bytesChecked = 0;
    const toCheck = options.checkArtifacts === false ? [] : manifest.artifacts;
    for (const artifact of toCheck) {
      throwIfAborted(signal);
      const outcome = await verifyArtifact(source, artifact, progress, signal);
      bytesChecked += outcome.bytes;
      if (outcome.problem) {
        problems.push(outcome.problem);
        failed.add(artifact.path);
      }
    }
    options.onProgress?.(1, problems.length === 0 ? 'Verified' : 'Verified with problems');

    const integrity: IntegrityReport = {
      verified: problems.length === 0,
      artifactsChecked: toCheck.length,
      bytesChecked,
      custodyEntries: custody.length,
      problems,
      warnings,
      signature: signature.status,
    };
    return createOpenedBundle(source, manifest, manifestRead.sha256, custody, integrity, failed);
  } catch (error) {
    await source.close();
    if (error instanceof WorkbenchFailure) throw error;
    // A damaged archive can fail inside yauzl or zlib in ways no check above names.
    throw new WorkbenchFailure('BUNDLE_UNREADABLE', 'The capture is damaged and cannot be read.', { cause: error });
  }
}

function createOpenedBundle(
  source: BundleSource,
  manifest: Manifest,
  manifestSha256: string,
  custody: readonly CustodyEntry[],
  integrity: IntegrityReport,
  failedArtifacts: ReadonlySet<string>,
): OpenedBundle {
  const artifactFor = (role: DocumentRole): ManifestArtifact | undefined => manifest.artifacts.find((item) => item.role === role);
  return {
    path: source.path,
    form: source.form,
    manifest,
    manifestSha256,
    custody,
    integrity,
    failedArtifacts,
    artifactFor,
    async readDocument<R extends DocumentRole>(role: R): Promise<BundleDocument<R>> {
      const artifact = artifactFor(role);
      if (!artifact) throw new WorkbenchFailure('BUNDLE_ARTIFACT_MISSING', `The capture has no ${role} artifact.`, { subject: role });
      const shown = visibleName(artifact.path);
      if (artifact.size > MAX_DOCUMENT_BYTES) {
        throw new WorkbenchFailure('BUNDLE_DOCUMENT_TOO_LARGE', `${shown} is larger than ${MAX_DOCUMENT_BYTES} bytes.`, { subject: shown });
      }
      const read = await readCappedEntry(source, artifact.path, MAX_DOCUMENT_BYTES, undefined).catch((error: unknown) => {
        if (error instanceof WorkbenchFailure) throw error;
        throw new WorkbenchFailure('BUNDLE_HASH_MISMATCH', `${shown} cannot be read back intact.`, { subject: shown, cause: error });
      });
      if (read.sha256 !== artifact.sha256 || read.bytes.length !== artifact.size) {
        throw new WorkbenchFailure('BUNDLE_HASH_MISMATCH', `${shown} does not match its recorded SHA-256.`, { subject: shown });
      }
      let value: unknown;
      try {
        value = parseJsonText(read.bytes);
      } catch (error) {
        throw new WorkbenchFailure('BUNDLE_DOCUMENT_INVALID', `${shown} is not valid UTF-8 JSON.`, { subject: shown, cause: error });
      }
      const result = documentSchemas[role].safeParse(value);
      if (!result.success) {
        throw new WorkbenchFailure('BUNDLE_DOCUMENT_INVALID', `${shown} is invalid at ${describeIssue(result.error.issues[0])}.`, {
          subject: shown,
        });
      }
      return result.data as BundleDocument<R>;
    },
    close: () => source.close(),
  };
}
