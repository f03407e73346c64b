import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openBundle } from '../bundle/bundle-reader';
import { documentSchemas, type FindingsDocument, type ManifestArtifact, type ManifestCommand, type StoredProcess, type StoredSocket, type SystemDocument } from '../bundle/bundle-schema';
import { appendCustody, createBundleWriter, signBundle, type BundleIdentity } from '../bundle/bundle-writer';
import type { CustodyEvent } from '../bundle/custody';
import { packBundle } from '../bundle/pack-bundle';
import type { BundleSigner } from '../bundle/signature';
import { detectAnomalies } from '../detector/detect-anomalies';
import { WorkbenchFailure, throwIfAborted } from '../errors';
import type { IntegrityReport } from '../../preload/api';
import type { CollectedArtifact } from './collect-payload';

/** An artifact already downloaded and verified into a local staging file. */
export interface StagedArtifact {
  readonly artifact: CollectedArtifact;
  readonly localPath: string;
  /** When it finished downloading and its hash matched (UTC ISO). */
  readonly verifiedAt: string;
}

/** Everything the bundle is written from. */
export interface CaptureBundleInput {
  readonly identity: BundleIdentity;
  readonly artifacts: readonly StagedArtifact[];
  readonly commands: readonly ManifestCommand[];
  /** The toolkit manifest exactly as built here (its hashes are what was checked in the guest); null when none was used. */
  readonly toolkitManifestPath: string | null;
  /** Who did this: `user@machine`, for custody. */
  readonly actor: string;
  /**
   * When the collect ended (UTC ISO). Not a custody time: every custody entry is stamped when it is
   * appended, from one clock, so the log's times never go backwards.
   */
  readonly collectedAt: string;
  readonly endedAt: string;
  /** The workstation key that signs the manifest and custody head; unsigned when absent. */
  readonly signer?: () => Promise<BundleSigner>;
}

/** What writing the bundle produced. */
export interface WrittenCapture {
  readonly bundlePath: string;
  readonly artifacts: readonly ManifestArtifact[];
  readonly processCount: number;
  /** The pids of the clone's process listing; null when processes were not collected. */
  readonly processPids: readonly number[] | null;
  readonly findingCount: number;
  readonly integrity: IntegrityReport;
}

/** The path of the toolkit manifest inside a capture. */
export const toolkitManifestArtifact = 'artifacts/toolkit-manifest.json';

/** The path of the detector's findings inside a capture. */
export const findingsArtifact = 'artifacts/findings.json';

async function readDocument<R extends 'processes' | 'sockets' | 'system'>(path: string, role: R): Promise<unknown> {
  const parsed = documentSchemas[role].safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success) throw new WorkbenchFailure('BUNDLE_DOCUMENT_INVALID', `The collected ${role} document does not follow its schema.`, { subject: path });
  return parsed.data;
}

/** Runs the detector over the collected processes, sockets and system document; null when processes were not collected. */
export async function findingsFor(artifacts: readonly StagedArtifact[], generatedAt: string): Promise<{ document: FindingsDocument; processCount: number; pids: number[] } | null> {
  const processes = artifacts.find((staged) => staged.artifact.role === 'processes');
  if (processes === undefined) return null;
  const sockets = artifacts.find((staged) => staged.artifact.role === 'sockets');
  const processDocument = (await readDocument(processes.localPath, 'processes')) as { processes: StoredProcess[] };
  const socketDocument = sockets === undefined ? { sockets: [] as StoredSocket[] } : ((await readDocument(sockets.localPath, 'sockets')) as { sockets: StoredSocket[] });
  const system = artifacts.find((staged) => staged.artifact.role === 'system');
  const systemDocument = system === undefined ? null : ((await readDocument(system.localPath, 'system')) as SystemDocument);
  return {
    document: detectAnomalies({ processes: processDocument.processes, sockets: socketDocument.sockets, system: systemDocument, generatedAt }),
    processCount: processDocument.processes.length,
    pids: processDocument.processes.map((process) => process.pid),
  };
}

/**
 * Writes, seals, chains custody, signs (when a signer is given) and packs a capture into `<caseDir>/<name>.civic`, then opens the
 * packed file and verifies every hash and the custody chain.
 *
 * The bundle folder `<caseDir>/<name>/` stays beside the `.civic` only until packing succeeds.
 */
export async function writeCaptureBundle(caseDir: string, name: string, input: CaptureBundleInput, signal?: AbortSignal): Promise<WrittenCapture> {
  const folder = join(caseDir, name);
  const writer = await createBundleWriter(folder, input.identity);
  const written: ManifestArtifact[] = [];
  for (const staged of input.artifacts) {
    throwIfAborted(signal);
    const record = await writer.addArtifact(
      { path: staged.artifact.path, mediaType: staged.artifact.mediaType, role: staged.artifact.role },
      createReadStream(staged.localPath),
      signal === undefined ? {} : { signal },
    );
    if (record.sha256 !== staged.artifact.sha256 || record.size !== staged.artifact.size) {
      throw new WorkbenchFailure('BUNDLE_HASH_MISMATCH', `${staged.artifact.path} changed between download and bundling.`, { subject: staged.artifact.path });
    }
    written.push(record);
  }
  if (input.toolkitManifestPath !== null && !input.artifacts.some((staged) => staged.artifact.path === toolkitManifestArtifact)) {
    written.push(await writer.addArtifact({ path: toolkitManifestArtifact, mediaType: 'application/json', role: 'other' }, await readFile(input.toolkitManifestPath)));
  }
  const findings = await findingsFor(input.artifacts, input.endedAt);
  if (findings !== null) written.push(await writer.addJson({ path: findingsArtifact, role: 'findings' }, findings.document));
  for (const command of input.commands) writer.recordCommand(command);
  const sealed = await writer.seal({ endedAt: input.endedAt, actor: input.actor });

  // No `at`: each entry is stamped as it is appended (entry 1 was stamped at sealing, just before).
  const events: CustodyEvent[] = [
    { actor: input.actor, action: 'collected-by', subject: `clone ${input.identity.cloneId} of ${input.identity.vm.name} on ${input.identity.host.name}` },
    ...input.artifacts.map((staged) => ({ actor: input.actor, action: 'downloaded', subject: staged.artifact.path, sha256: staged.artifact.sha256 })),
    { actor: input.actor, action: 'verified', subject: 'manifest.json', sha256: sealed.manifestSha256 },
  ];
  for (const event of events) await appendCustody(folder, event);
  if (input.signer !== undefined) await signBundle(folder, await input.signer());

  const bundlePath = `${folder}.civic`;
  await packBundle(folder, bundlePath, signal === undefined ? {} : { signal });
  const opened = await openBundle(bundlePath, signal === undefined ? {} : { signal });
  await opened.close();
  return {
    bundlePath,
    artifacts: written,
    processCount: findings?.processCount ?? 0,
    processPids: findings?.pids ?? null,
    findingCount: findings?.document.findings.length ?? 0,
    integrity: opened.integrity,
  };
}
