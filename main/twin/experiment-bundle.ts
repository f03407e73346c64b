import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExperimentReport } from '../../preload/api';
import { openBundle } from '../bundle/bundle-reader';
import { appendCustody, createBundleWriter, signBundle } from '../bundle/bundle-writer';
import type { ArtifactRole, ManifestCommand } from '../bundle/bundle-schema';
import { captureName, manifestUuid } from '../bundle/capture-naming';
import type { ExperimentDocument } from '../bundle/experiment-schema';
import { packBundle } from '../bundle/pack-bundle';
import type { BundleSigner } from '../bundle/signature';

/** One more file an experiment keeps beside its report (raw load reports, agent output, configs). */
export interface ExperimentArtifact {
  /** Under `artifacts/`. */
  readonly path: string;
  readonly mediaType: string;
  readonly role: ArtifactRole;
  readonly content: string | Uint8Array;
}

/** Everything an experiment capture records. */
export interface ExperimentBundleInput {
  readonly caseDir: string;
  readonly toolVersion: string;
  readonly helperVersion: string;
  readonly host: { readonly name: string; readonly hostKeySha256: string };
  readonly vm: { readonly id: string; readonly name: string; readonly uuid: string | null };
  readonly twinId: string;
  readonly startedAt: string;
  readonly actor: string;
  readonly definition: Record<string, unknown>;
  readonly report: ExperimentReport;
  readonly stoppedBy?: { readonly code: string; readonly message: string };
  readonly artifacts: readonly ExperimentArtifact[];
  readonly commands: readonly ManifestCommand[];
  readonly signer?: () => Promise<BundleSigner>;
}

/** The path of the experiment document inside a bundle. */
export const experimentArtifact = 'artifacts/experiment.json';

/**
 * Writes an experiment as a capture bundle like any other: manifest with a SHA-256 per artifact,
 * custody, the workstation's signature; packed to `<caseDir>/<name>.civic`, then opened again so a
 * bundle that does not verify is never handed back as done.
 */
export async function writeExperimentBundle(input: ExperimentBundleInput): Promise<{ readonly bundlePath: string; readonly verified: boolean }> {
  const name = `${captureName(input.vm.name, input.startedAt, input.twinId)}-${input.report.kind}`;
  const folder = join(input.caseDir, name);
  const writer = await createBundleWriter(folder, {
    captureId: randomUUID(),
    toolVersion: input.toolVersion,
    helperVersion: input.helperVersion,
    host: input.host,
    vm: { name: input.vm.name, uuid: manifestUuid(input.vm.uuid, input.vm.id) },
    cloneId: input.twinId,
    startedAt: input.startedAt,
  });
  try {
    const document: ExperimentDocument = {
      schemaVersion: 1,
      definition: input.definition,
      report: input.report as ExperimentDocument['report'],
      ...(input.stoppedBy === undefined ? {} : { stoppedBy: { code: input.stoppedBy.code, message: input.stoppedBy.message } }),
    };
    await writer.addJson({ path: experimentArtifact, role: 'experiment' }, document);
    for (const artifact of input.artifacts) await writer.addArtifact({ path: artifact.path, mediaType: artifact.mediaType, role: artifact.role }, artifact.content);
    for (const command of input.commands) writer.recordCommand(command);
    const endedAt = new Date().toISOString();
    const sealed = await writer.seal({ endedAt, actor: input.actor });
    await appendCustody(folder, { actor: input.actor, action: 'collected-by', subject: `${input.report.kind} experiment on twin ${input.twinId} of ${input.vm.name} on ${input.host.name}` });
    await appendCustody(folder, { actor: input.actor, action: 'verified', subject: 'manifest.json', sha256: sealed.manifestSha256 });
    if (input.signer !== undefined) await signBundle(folder, await input.signer());
    const bundlePath = `${folder}.civic`;
    await packBundle(folder, bundlePath);
    const opened = await openBundle(bundlePath);
    await opened.close();
    return { bundlePath, verified: opened.integrity.verified };
  } finally {
    // The packed .civic is the capture; the folder it was built in is not kept.
    await rm(folder, { recursive: true, force: true });
  }
}
