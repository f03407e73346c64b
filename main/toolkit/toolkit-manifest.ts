import { z } from 'zod';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');

/** One toolkit file: its path inside the toolkit folder, size, mode and SHA-256. */
export const toolkitFileSchema = z.strictObject({
  path: z.string().regex(/^[A-Za-z0-9_.+-]+(?:\/[A-Za-z0-9_.+-]+)*$/, 'must be a plain relative path'),
  size: z.number().int().nonnegative(),
  mode: z.number().int().min(0).max(0o777),
  sha256,
});

/** `toolkit-manifest.json`: what a toolkit holds and what it was built from. Its hashes go into capture manifests. */
export const toolkitManifestSchema = z.strictObject({
  schemaVersion: z.literal(1),
  key: z.string().regex(/^[0-9a-f]{20}$/),
  guestDir: z.string().min(1),
  packages: z.array(z.strictObject({ name: z.string().min(1), version: z.string().min(1) })),
  files: z.array(toolkitFileSchema).min(1),
  totalBytes: z.number().int().nonnegative(),
});

/** A parsed toolkit manifest. */
export type ToolkitManifest = z.infer<typeof toolkitManifestSchema>;

/** One file of a toolkit manifest. */
export type ToolkitFile = z.infer<typeof toolkitFileSchema>;
