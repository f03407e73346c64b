import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { CustodyEntry, SignatureStatus, SignerIdentity, WorkbenchError } from '../../preload/api';
import { workbenchError } from '../errors';
import { MAX_JSON_DEPTH, SIGNATURE_NAME } from './bundle-limits';
import { sha256Schema, utcTimeSchema } from './bundle-schema';
import { canonicalJson } from './canonical-json';
import { JsonDepthScanner } from './json-depth';
import { visibleName } from './visible-name';

/** The `format` value of every signature file. */
export const SIGNATURE_FORMAT_ID = 'civic-capture-signature';

/**
 * What precedes the canonical JSON in the signed bytes, so a signature over a capture can never be
 * replayed as a signature over anything else this key signs.
 */
export const SIGNATURE_DOMAIN = 'civic-capture-signature-v1\n';

// An Ed25519 SubjectPublicKeyInfo is this fixed DER prefix followed by the 32 raw key bytes (RFC 8410).
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const base64Of = (bytes: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64')
    .refine((value) => Buffer.from(value, 'base64').length === bytes, `must decode to ${bytes} bytes`);

/** `signature.json` at the bundle root. */
export const signatureDocumentSchema = z.strictObject({
  format: z.literal(SIGNATURE_FORMAT_ID),
  version: z.literal(1),
  algorithm: z.literal('ed25519'),
  publicKey: base64Of(32),
  signerName: z.string().min(1).max(128).nullable(),
  signedAt: utcTimeSchema,
  manifestSha256: sha256Schema,
  custodyHead: z.strictObject({ seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER), hash: sha256Schema }),
  signature: base64Of(64),
});

/** A parsed signature file. */
export type SignatureDocument = z.infer<typeof signatureDocumentSchema>;

/** What signs a capture: a workstation key (see `main/storage/workstation-key.ts`). */
export interface BundleSigner {
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKeyRaw: Uint8Array;
  readonly name: string | null;
  /** An Ed25519 signature (64 bytes) over `message`. */
  sign(message: Uint8Array): Uint8Array;
}

/** The fingerprint of a raw Ed25519 public key: `SHA256:` and unpadded base64, as OpenSSH prints keys. */
export function keyFingerprint(publicKeyRaw: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(publicKeyRaw).digest('base64').replace(/=+$/, '')}`;
}

/** A Node key object for a raw Ed25519 public key. */
export function ed25519PublicKey(publicKeyRaw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKeyRaw]), format: 'der', type: 'spki' });
}

/** The raw 32 bytes of an Ed25519 public key object. */
export function rawEd25519PublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(ED25519_SPKI_PREFIX.length);
}

/** The exact bytes the signature covers: the domain line, then the canonical JSON of every field but `signature`. */
export function signedBytes(document: Omit<SignatureDocument, 'signature'>): Buffer {
  const { format, version, algorithm, publicKey, signerName, signedAt, manifestSha256, custodyHead } = document;
  const body = canonicalJson({ format, version, algorithm, publicKey, signerName, signedAt, manifestSha256, custodyHead: { ...custodyHead } });
  return Buffer.from(SIGNATURE_DOMAIN + body, 'utf8');
}

/** Signs a manifest digest and a custody head; returns the text of `signature.json`. */
export function createSignature(
  signer: BundleSigner,
  sealed: { readonly manifestSha256: string; readonly custodyHead: CustodyEntry; readonly signedAt: string },
): string {
  const unsigned = {
    format: SIGNATURE_FORMAT_ID,
    version: 1,
    algorithm: 'ed25519',
    publicKey: Buffer.from(signer.publicKeyRaw).toString('base64'),
    signerName: signer.name,
    signedAt: sealed.signedAt,
    manifestSha256: sealed.manifestSha256,
    custodyHead: { seq: sealed.custodyHead.seq, hash: sealed.custodyHead.hash },
  } as const;
  const signature = Buffer.from(signer.sign(signedBytes(unsigned))).toString('base64');
  const document = signatureDocumentSchema.parse({ ...unsigned, signature });
  return JSON.stringify(document, null, 2) + '\n';
}

/** The outcome of checking a signature file. */
export interface SignatureCheck {
  readonly status: SignatureStatus;
  /** Empty when unsigned or valid. */
  readonly problems: readonly WorkbenchError[];
}

function failed(code: WorkbenchError['code'], message: string, signer: SignerIdentity | null): SignatureCheck {
  return { status: { state: 'invalid', code, signer }, problems: [workbenchError(code, message, SIGNATURE_NAME)] };
}

/**
 * Checks `signature.json` against the manifest digest and the custody chain as read.
 *
 * In order: the file parses and follows its schema (BUNDLE_SIGNATURE_MALFORMED); the signature holds
 * for the public key the file names (BUNDLE_SIGNATURE_INVALID: a swapped key or an edited file); the
 * signed manifest digest is this manifest's (BUNDLE_SIGNATURE_MANIFEST_MISMATCH); the signed custody
 * head is this log's entry of that seq (BUNDLE_SIGNATURE_CUSTODY_MISMATCH: an edited, re-chained log).
 */
export function checkSignature(bytes: Uint8Array | null, manifestSha256: string, custody: readonly CustodyEntry[]): SignatureCheck {
  if (bytes === null) return { status: { state: 'unsigned' }, problems: [] };
  let parsed: unknown;
  try {
    new JsonDepthScanner(MAX_JSON_DEPTH, SIGNATURE_NAME).feed(bytes);
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch {
    return failed('BUNDLE_SIGNATURE_MALFORMED', `${SIGNATURE_NAME} is not valid UTF-8 JSON.`, null);
  }
  const result = signatureDocumentSchema.safeParse(parsed);
  if (!result.success) return failed('BUNDLE_SIGNATURE_MALFORMED', `${SIGNATURE_NAME} does not follow the signature format.`, null);
  const document = result.data;
  const publicKeyRaw = Buffer.from(document.publicKey, 'base64');
  const signer: SignerIdentity = {
    fingerprint: keyFingerprint(publicKeyRaw),
    name: document.signerName === null ? null : visibleName(document.signerName),
  };
  let holds: boolean;
  try {
    holds = verify(null, signedBytes(document), ed25519PublicKey(publicKeyRaw), Buffer.from(document.signature, 'base64'));
  } catch {
    // A 32-byte string that is not a point on the curve cannot be imported: it verifies nothing.
    holds = false;
  }
  if (!holds) return failed('BUNDLE_SIGNATURE_INVALID', `The signature does not verify with the public key ${signer.fingerprint} it names.`, signer);
  if (document.manifestSha256 !== manifestSha256) {
    return failed('BUNDLE_SIGNATURE_MANIFEST_MISMATCH', 'The manifest is not the one the signature covers.', signer);
  }
  const head = custody[document.custodyHead.seq - 1];
  if (!head || head.hash !== document.custodyHead.hash) {
    return failed('BUNDLE_SIGNATURE_CUSTODY_MISMATCH', `Custody entry ${document.custodyHead.seq} is not the one the signature covers.`, signer);
  }
  return { status: { state: 'valid', signer, signedAt: document.signedAt, custodyEntriesSigned: document.custodyHead.seq }, problems: [] };
}
