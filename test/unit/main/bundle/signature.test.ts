import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_NAME } from '../../../../main/bundle/bundle-limits';
import { openBundle } from '../../../../main/bundle/bundle-reader';
import { appendCustody, signBundle } from '../../../../main/bundle/bundle-writer';
import { packBundle } from '../../../../main/bundle/pack-bundle';
import { rawEd25519PublicKey, signedBytes, signatureDocumentSchema } from '../../../../main/bundle/signature';
import { verifyCommand } from '../../../../main/cli/commands/verify';
import { createWorkstationKeyStore, type WorkstationKeyStore } from '../../../../main/storage/workstation-key';
import type { WorkstationKeyInfo } from '../../../../preload/api';
import { writeSampleBundle } from '../../../../test/support/samples/sample-capture';
import { captureIo } from '../../cli/commands/support/capture-io';
import { copyFolder, createWorkspace, rewriteManifest, SAMPLE_ARCHIVE, type Workspace } from './support/bundle-copies';
import { rechainCustody } from './support/custom-bundle';

let workspace: Workspace;
let store: WorkstationKeyStore;
let key: WorkstationKeyInfo;
let signed: string;
let counter = 0;

beforeAll(async () => {
  workspace = await createWorkspace();
  store = createWorkstationKeyStore(join(workspace.root, 'app-data'));
  key = await store.setName('IR workstation 3');
  signed = join(workspace.root, 'signed');
  await writeSampleBundle(signed);
  await signBundle(signed, await store.signer());
});
afterAll(async () => {
  await workspace.cleanup();
});

const copy = async (): Promise<string> => copyFolder(signed, join(workspace.root, `copy-${(counter += 1)}`));

async function integrityOf(path: string) {
  const bundle = await openBundle(path);
  await bundle.close();
  return bundle.integrity;
}

async function rewriteSignature(folder: string, change: (document: Record<string, unknown>) => void): Promise<void> {
  const path = join(folder, SIGNATURE_NAME);
  const document = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  change(document);
  await chmod(path, 0o644);
  await writeFile(path, JSON.stringify(document, null, 2));
}

describe('signed captures', () => {
  it('verify and name their signer, as a folder and packed', async () => {
    const archive = join(workspace.root, 'signed.civic');
    await packBundle(signed, archive);
    for (const path of [signed, archive]) {
      const integrity = await integrityOf(path);
      expect(integrity.problems).toEqual([]);
      expect(integrity.verified).toBe(true);
      expect(integrity.signature).toMatchObject({
        state: 'valid',
        signer: { fingerprint: key.fingerprint, name: 'IR workstation 3' },
        custodyEntriesSigned: 2,
      });
    }
    const io = captureIo();
    expect(await verifyCommand([archive], io)).toBe(0);
    expect(io.stdout()).toMatch(new RegExp(`Signature +valid, workstation key ${key.fingerprint.replace(/[+/]/g, '\\$&')} \\("IR workstation 3", self-named\\)`));
  });

  it('signs exactly the documented bytes: OpenSSL verifies them with the exported public key', async () => {
    const document = signatureDocumentSchema.parse(JSON.parse(await readFile(join(signed, SIGNATURE_NAME), 'utf8')));
    const message = join(workspace.root, 'signed-bytes');
    const signature = join(workspace.root, 'signature.bin');
    const publicKey = join(workspace.root, 'workstation.pub.pem');
    await writeFile(message, signedBytes(document));
    await writeFile(signature, Buffer.from(document.signature, 'base64'));
    await writeFile(publicKey, key.publicKeyPem);
    const output = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', publicKey, '-rawin', '-in', message, '-sigfile', signature], {
      encoding: 'utf8',
    });
    expect(output).toContain('Signature Verified Successfully');
    expect(signedBytes(document).toString('utf8').startsWith('civic-capture-signature-v1\n{"algorithm":"ed25519","custodyHead":')).toBe(true);
  });

  it('still verify after a later custody entry, which the signature does not cover', async () => {
    const folder = await copy();
    await appendCustody(folder, { actor: 'analyst@desk', action: 'receive', subject: 'bundle' });
    const integrity = await integrityOf(folder);
    expect(integrity.verified).toBe(true);
    expect(integrity.signature).toMatchObject({ state: 'valid', custodyEntriesSigned: 2 });
    expect(integrity.custodyEntries).toBe(3);
  });

  it('fail with BUNDLE_SIGNATURE_CUSTODY_MISMATCH when custody is edited and re-chained', async () => {
    const folder = await copy();
    await rechainCustody(folder, (entries) => entries.map((entry) => (entry.seq === 2 ? { ...entry, actor: 'someone-else@elsewhere' } : entry)));
    const integrity = await integrityOf(folder);
    // The chain alone is fooled: every hash was recomputed.
    expect(integrity.problems.filter((problem) => problem.code === 'BUNDLE_CUSTODY_BROKEN')).toEqual([]);
    expect(integrity.problems.map((problem) => problem.code)).toEqual(['BUNDLE_SIGNATURE_CUSTODY_MISMATCH']);
    expect(integrity.verified).toBe(false);
    expect(integrity.signature).toMatchObject({ state: 'invalid', code: 'BUNDLE_SIGNATURE_CUSTODY_MISMATCH' });
    const io = captureIo();
    expect(await verifyCommand([folder], io)).toBe(1);
    expect(io.stdout()).toContain('Signature  FAIL BUNDLE_SIGNATURE_CUSTODY_MISMATCH');
  });

  it('fail with BUNDLE_SIGNATURE_INVALID when the public key is swapped', async () => {
    const folder = await copy();
    const other = rawEd25519PublicKey(generateKeyPairSync('ed25519').publicKey).toString('base64');
    await rewriteSignature(folder, (document) => {
      document['publicKey'] = other;
    });
    const integrity = await integrityOf(folder);
    expect(integrity.problems.map((problem) => problem.code)).toEqual(['BUNDLE_SIGNATURE_INVALID']);
    expect(integrity.signature).toMatchObject({ state: 'invalid', code: 'BUNDLE_SIGNATURE_INVALID' });
    expect(integrity.signature?.state === 'invalid' && integrity.signature.signer?.fingerprint).not.toBe(key.fingerprint);
  });

  it('fail with BUNDLE_SIGNATURE_MANIFEST_MISMATCH when the manifest is edited, even with custody re-chained to it', async () => {
    const folder = await copy();
    await rewriteManifest(folder, (manifest) => {
      (manifest['vm'] as Record<string, unknown>)['name'] = 'another-vm';
    });
    await rechainCustody(folder);
    const integrity = await integrityOf(folder);
    expect(integrity.problems.map((problem) => problem.code)).toEqual(['BUNDLE_SIGNATURE_MANIFEST_MISMATCH']);
  });

  it('fail with BUNDLE_SIGNATURE_MALFORMED when the signature file is damaged', async () => {
    const folder = await copy();
    const path = join(folder, SIGNATURE_NAME);
    await chmod(path, 0o644);
    await writeFile(path, '{"format":');
    expect((await integrityOf(folder)).problems.map((problem) => problem.code)).toEqual(['BUNDLE_SIGNATURE_MALFORMED']);
  });

  it('reads older captures as unsigned and still verified', async () => {
    const integrity = await integrityOf(SAMPLE_ARCHIVE);
    expect(integrity.signature).toEqual({ state: 'unsigned' });
    expect(integrity.verified).toBe(true);
    const io = captureIo();
    expect(await verifyCommand([SAMPLE_ARCHIVE], io)).toBe(0);
    expect(io.stdout()).toContain('Signature  unsigned');
  });
});
