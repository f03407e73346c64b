import type { Readable } from 'node:stream';

/** One entry of a bundle, as its container (folder or zip) lists it. */
export interface BundleEntry {
  /** Relative name with `/` separators and no trailing slash; already checked by `checkEntryName`. */
  readonly name: string;
  readonly kind: 'file' | 'folder';
  /** Bytes of content (uncompressed for zip entries); 0 for folders. */
  readonly size: number;
}

/**
 * Read-only access to a bundle's entries, whatever holds them.
 *
 * Opening a source already refused unsafe names, links and other non-regular entries and duplicates;
 * the reader checks what the entries mean.
 */
export interface BundleSource {
  readonly form: 'folder' | 'zip';
  readonly path: string;
  readonly entries: ReadonlyMap<string, BundleEntry>;
  /** A stream of a file entry's content; the caller must consume or destroy it. */
  openRead(name: string): Promise<Readable>;
  close(): Promise<void>;
}
