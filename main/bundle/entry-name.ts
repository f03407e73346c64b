import { WorkbenchFailure } from '../errors';
import { MAX_PATH_BYTES, MAX_PATH_SEGMENTS } from './bundle-limits';
import { visibleName } from './visible-name';

// Conservative on purpose: names a bundle may use are ours, never the guest's, so a small alphabet
// costs nothing and rules out NTFS streams, device names, control characters and look-alikes.
const SAFE_SEGMENT = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/;
const DRIVE_PREFIX = /^[A-Za-z]:/;

/**
 * Checks that an entry name is a safe relative path inside the bundle.
 *
 * Throws BUNDLE_ABSOLUTE_PATH for `/x`, `\x`, `C:x` and UNC forms, BUNDLE_PATH_TRAVERSAL for `..`,
 * backslashes, empty or dot segments and characters outside `[A-Za-z0-9._+-]`. A trailing `/` is
 * allowed only when `isFolder` is true (zip folder entries).
 */
export function checkEntryName(name: string, isFolder = false): string {
  const shown = visibleName(name);
  if (name.startsWith('/') || name.startsWith('\\') || DRIVE_PREFIX.test(name)) {
    throw new WorkbenchFailure('BUNDLE_ABSOLUTE_PATH', `The bundle names an absolute path: ${shown}.`, { subject: shown });
  }
  const body = isFolder && name.endsWith('/') ? name.slice(0, -1) : name;
  const segments = body.split(/[\\/]/);
  if (segments.includes('..')) {
    throw new WorkbenchFailure('BUNDLE_PATH_TRAVERSAL', `The bundle names a path outside itself: ${shown}.`, { subject: shown });
  }
  const unsafe =
    body.length === 0 ||
    Buffer.byteLength(body, 'utf8') > MAX_PATH_BYTES ||
    segments.length > MAX_PATH_SEGMENTS ||
    body.includes('\\') ||
    segments.some((segment) => !SAFE_SEGMENT.test(segment));
  if (unsafe) {
    throw new WorkbenchFailure('BUNDLE_PATH_TRAVERSAL', `The bundle uses an unsafe entry name: ${shown}.`, { subject: shown });
  }
  return body;
}

/** Decodes a raw zip entry name, refusing bytes that are not UTF-8 (they cannot be a safe name). */
export function decodeEntryName(raw: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    const shown = visibleName(raw);
    throw new WorkbenchFailure('BUNDLE_PATH_TRAVERSAL', `The bundle uses an entry name that is not UTF-8: ${shown}.`, {
      subject: shown,
    });
  }
}
