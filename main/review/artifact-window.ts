import { stat } from 'node:fs/promises';
import type { ArtifactRecord, ArtifactView } from '../../preload/api';
import type { BundleSource } from '../bundle/bundle-source';
import { openFolderSource } from '../bundle/folder-source';
import { openZipSource } from '../bundle/zip-source';
import { WorkbenchFailure } from '../errors';
import { toGuestText } from '../bundle/guest-text';

/** Bytes one artifact view shows at most. */
export const ARTIFACT_WINDOW_BYTES = 64 * 1024;

// Dumps hold guest memory: secrets and anything else. They stay in main, named but never sent.
const REFUSED_ROLES = new Set(['memory-dump', 'core-dump']);

/** True when bytes look like text: valid UTF-8 (allowing a cut character at the end), NULs rare. */
export function looksLikeText(bytes: Uint8Array): boolean {
  // A stray NUL in a log is still a log (it shows as \x00); many NULs mean a binary.
  let nuls = 0;
  for (const byte of bytes) if (byte === 0) nuls += 1;
  if (nuls > bytes.length / 100) return false;
  for (let trim = 0; trim < 4 && trim <= bytes.length; trim += 1) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, bytes.length - trim));
      return true;
    } catch {
      // Try again without a possibly cut multi-byte character at the end.
    }
  }
  return false;
}

/** A classic hex dump: offset, 16 bytes in hex, and their printable ASCII. */
export function hexDump(bytes: Uint8Array, baseOffset: number): string {
  const lines: string[] = [];
  for (let start = 0; start < bytes.length; start += 16) {
    const slice = bytes.subarray(start, start + 16);
    const hex = Array.from(slice, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(slice, (byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('');
    lines.push(`${(baseOffset + start).toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

async function openSource(path: string): Promise<BundleSource> {
  const stats = await stat(path);
  return stats.isDirectory() ? openFolderSource(path) : openZipSource(path);
}

async function readRange(source: BundleSource, name: string, offset: number, length: number): Promise<Uint8Array> {
  const stream = await source.openRead(name);
  const chunks: Buffer[] = [];
  let position = 0;
  let collected = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const end = position + chunk.length;
      if (end > offset) {
        const piece = chunk.subarray(Math.max(0, offset - position), Math.min(chunk.length, offset + length - position));
        chunks.push(piece);
        collected += piece.length;
      }
      position = end;
      if (collected >= length) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks);
}

/** Reads a capped window of an artifact listed in the manifest, as escaped text or a hex dump. */
export async function readArtifactWindow(capturePath: string, artifacts: readonly ArtifactRecord[], path: string, offset: number): Promise<ArtifactView> {
  const artifact = artifacts.find((candidate) => candidate.path === path);
  if (!artifact) throw new WorkbenchFailure('NOT_FOUND', 'The manifest lists no such artifact.', { subject: path });
  if (artifact.role !== undefined && REFUSED_ROLES.has(artifact.role)) {
    throw new WorkbenchFailure('NOT_SUPPORTED', 'Memory and core dumps are not shown in the app.', {
      subject: path,
      hint: 'Analyse dumps with a debugger on a machine meant for it; the capture keeps them verified.',
    });
  }
  const start = Math.min(Math.max(0, offset), artifact.size);
  const source = await openSource(capturePath);
  let bytes: Uint8Array;
  try {
    bytes = await readRange(source, artifact.path, start, ARTIFACT_WINDOW_BYTES);
  } finally {
    await source.close();
  }
  const truncated = start + bytes.length < artifact.size;
  if (looksLikeText(bytes)) {
    return { path, size: artifact.size, offset: start, kind: 'text', text: toGuestText(bytes, { multiline: true, maxChars: ARTIFACT_WINDOW_BYTES * 4 }).text, truncated };
  }
  return { path, size: artifact.size, offset: start, kind: 'hex', text: hexDump(bytes, start), truncated };
}

/** The first `maxBytes` of an artifact listed in the manifest, for parsing in main (metrics). */
export async function readArtifactHead(capturePath: string, artifact: ArtifactRecord, maxBytes: number): Promise<Uint8Array> {
  const source = await openSource(capturePath);
  try {
    return await readRange(source, artifact.path, 0, Math.min(maxBytes, artifact.size));
  } finally {
    await source.close();
  }
}
