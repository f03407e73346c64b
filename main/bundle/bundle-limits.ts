/**
 * The caps the reader enforces on hostile bundles.
 *
 * Each cap bounds memory or stack use; a bundle over a cap is refused with its own error code.
 */

/** The one schema version this reader understands. */
export const BUNDLE_SCHEMA_VERSION = 1;

/** The `format` value every manifest carries. */
export const BUNDLE_FORMAT_ID = 'civic-capture-bundle';

/** Name of the manifest at the bundle root. */
export const MANIFEST_NAME = 'manifest.json';

/** Name of the custody log at the bundle root. */
export const CUSTODY_NAME = 'custody.jsonl';

/** Name of the workstation signature at the bundle root (absent from unsigned captures). */
export const SIGNATURE_NAME = 'signature.json';

/** Folder every artifact lives under. */
export const ARTIFACTS_FOLDER = 'artifacts';

/** Largest manifest the reader accepts (bytes). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** Largest signature file the reader accepts (bytes). */
export const MAX_SIGNATURE_BYTES = 64 * 1024;

/** Largest custody log the reader accepts (bytes). */
export const MAX_CUSTODY_BYTES = 16 * 1024 * 1024;

/** Largest structured artifact (processes, sockets, findings) the reader parses (bytes). */
export const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

/** Deepest JSON nesting the reader accepts in any document. */
export const MAX_JSON_DEPTH = 64;

/** Most entries (files and folders) a bundle may hold. */
export const MAX_ENTRIES = 10_000;

/** Most path segments an entry name may have. */
export const MAX_PATH_SEGMENTS = 16;

/** Longest entry name, in bytes of UTF-8. */
export const MAX_PATH_BYTES = 1024;
