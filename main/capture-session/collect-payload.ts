import { posix } from 'node:path';
import { z } from 'zod';
import type { ArtifactRole } from '../bundle/bundle-schema';
import { artifactRoleSchema } from '../bundle/bundle-schema';
import { WorkbenchFailure } from '../errors';

// The `collect` result (docs/helper-protocol.md). The host is not trusted: strings are capped, paths
// must stay under artifacts/, and unknown fields are dropped.
const text = z.string().max(4096);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const when = z.union([z.string().max(64), z.number().finite()]);

const artifactSchema = z.object({
  path: z.string().min(1).max(1024),
  role: z.string().max(64),
  mediaType: z.string().max(128),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  sha256,
  step: text,
  pid: z.number().int().nonnegative().nullable().optional(),
});

const collectSchema = z.object({
  cloneId: text,
  access: z.enum(['qga', 'none']),
  sessionDir: z.string().min(1).max(4096),
  artifacts: z.array(artifactSchema).max(5000),
  skipped: z.array(z.object({ step: text, reason: text })).max(1000),
  failed: z.array(z.object({ step: text, pid: z.number().int().nullable().optional(), code: text, message: text })).max(10_000),
  commands: z
    .array(z.object({ argv: z.array(z.string().max(65_536)).min(1).max(4096), exitCode: z.number().int().nullable(), startedAt: when, endedAt: when }))
    .max(10_000),
  toolkit: z.object({ key: text, files: z.array(z.object({ path: text, sha256 })).max(10_000) }).nullable().optional(),
  guest: z.object({ kernel: text.nullable().optional(), qgaVersion: text.nullable().optional() }).nullable().optional(),
});

/** One artifact the helper wrote, checked: its path stays under `artifacts/` and its role is one the bundle knows. */
export interface CollectedArtifact {
  readonly path: string;
  readonly role: ArtifactRole;
  readonly mediaType: string;
  readonly size: number;
  readonly sha256: string;
  readonly step: string;
  readonly pid: number | null;
}

/** A command the helper ran, with UTC ISO times. */
export interface CollectedCommand {
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly startedAt: string;
  readonly endedAt: string;
}

/** A `collect` result as the app uses it. */
export interface CollectPayload {
  readonly cloneId: string;
  readonly access: 'qga' | 'none';
  readonly sessionDir: string;
  readonly artifacts: readonly CollectedArtifact[];
  readonly skipped: readonly { readonly step: string; readonly reason: string }[];
  readonly failed: readonly { readonly step: string; readonly pid: number | null; readonly code: string; readonly message: string }[];
  readonly commands: readonly CollectedCommand[];
  readonly toolkit: { readonly key: string; readonly files: readonly { readonly path: string; readonly sha256: string }[] } | null;
  readonly guest: { readonly kernel: string | null; readonly qgaVersion: string | null };
}

// The helper's `files` step names its role `guest-file`; the bundle's role for a copied guest file is `file`.
const roleAliases: Readonly<Record<string, string>> = { 'guest-file': 'file' };

const mediaTypePattern = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

/** Helper times are ISO strings or epoch seconds; the manifest wants ISO UTC with `Z`. */
export function toUtcIso(value: string | number): string | null {
  const millis = typeof value === 'number' ? value * 1000 : Date.parse(value);
  if (!Number.isFinite(millis)) return null;
  return new Date(millis).toISOString();
}

/** A helper path for an artifact, normalized; null when it could leave `artifacts/`. */
export function safeArtifactPath(path: string): string | null {
  if (path.includes('\\') || path.includes('\0') || path.startsWith('/')) return null;
  const normalized = posix.normalize(path);
  if (normalized !== path || !normalized.startsWith('artifacts/') || normalized.split('/').some((part) => part === '..' || part === '' || part === '.')) return null;
  return normalized;
}

/**
 * Reads a `collect` result; throws HELPER_FAILED naming the first field it cannot read.
 *
 * An artifact with an unsafe path, an unknown role or a malformed media type fails the whole result:
 * the helper is ours, so such a result means something on the host is not.
 */
export function parseCollectPayload(payload: unknown, host: string): CollectPayload {
  const parsed = collectSchema.safeParse(payload);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') ?? '';
    throw new WorkbenchFailure('HELPER_FAILED', `The helper on ${host} returned a collect result the app cannot read (at "${where}").`, { subject: host });
  }
  const data = parsed.data;
  const seen = new Set<string>();
  const artifacts = data.artifacts.map((artifact): CollectedArtifact => {
    const path = safeArtifactPath(artifact.path);
    const role = artifactRoleSchema.safeParse(roleAliases[artifact.role] ?? artifact.role);
    if (path === null || seen.has(path) || !role.success || !mediaTypePattern.test(artifact.mediaType)) {
      throw new WorkbenchFailure('HELPER_FAILED', `The helper on ${host} listed an artifact the app refuses (${JSON.stringify(artifact.path.slice(0, 200))}).`, {
        subject: host,
      });
    }
    seen.add(path);
    return { path, role: role.data, mediaType: artifact.mediaType, size: artifact.size, sha256: artifact.sha256, step: artifact.step, pid: artifact.pid ?? null };
  });
  const commands = data.commands.flatMap((command): CollectedCommand[] => {
    const startedAt = toUtcIso(command.startedAt);
    const endedAt = toUtcIso(command.endedAt);
    if (startedAt === null || endedAt === null) return [];
    const exitCode = command.exitCode === null || (command.exitCode >= -255 && command.exitCode <= 255) ? command.exitCode : null;
    return [{ argv: command.argv, exitCode, startedAt, endedAt }];
  });
  return {
    cloneId: data.cloneId,
    access: data.access,
    sessionDir: data.sessionDir,
    artifacts,
    skipped: data.skipped,
    failed: data.failed.map((failure) => ({ step: failure.step, pid: failure.pid ?? null, code: failure.code, message: failure.message })),
    commands,
    toolkit: data.toolkit ?? null,
    guest: { kernel: data.guest?.kernel ?? null, qgaVersion: data.guest?.qgaVersion ?? null },
  };
}
