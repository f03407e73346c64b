import { createPublicKey, verify } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../../../main/bundle/signature';
import { KEYS_FOLDER, PRIVATE_KEY_FILE, createWorkstationKeyStore } from '../../../../main/storage/workstation-key';

let appData: string;
beforeEach(async () => {
  appData = await mkdtemp(join(tmpdir(), 'civic-key-test-'));
});
afterEach(async () => {
  await rm(appData, { recursive: true, force: true });
});

describe('the workstation key store', () => {
  it('makes an Ed25519 key on first use, owner-only (key 0600, folder 0700)', async () => {
    const info = await createWorkstationKeyStore(join(appData, 'data')).info();
    expect((await stat(join(appData, 'data', KEYS_FOLDER))).mode & 0o777).toBe(0o700);
    expect((await stat(join(appData, 'data', KEYS_FOLDER, PRIVATE_KEY_FILE))).mode & 0o777).toBe(0o600);
    expect(info.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(info.name).toBeNull();
    const publicKey = createPublicKey(info.publicKeyPem);
    expect(publicKey.asymmetricKeyType).toBe('ed25519');
    expect(keyFingerprint(publicKey.export({ format: 'der', type: 'spki' }).subarray(12))).toBe(info.fingerprint);
  });

  it('keeps the same key and its name across store instances (app restarts)', async () => {
    const first = await createWorkstationKeyStore(appData).setName('  SOC laptop 7  ');
    expect(first.name).toBe('SOC laptop 7');
    const again = await createWorkstationKeyStore(appData).info();
    expect(again).toEqual(first);
    expect((await createWorkstationKeyStore(appData).setName(null)).name).toBeNull();
  });

  it('signs with the private key that matches the exported public key', async () => {
    const store = createWorkstationKeyStore(appData);
    const signer = await store.signer();
    const message = Buffer.from('civic');
    const signature = signer.sign(message);
    expect(verify(null, message, createPublicKey((await store.info()).publicKeyPem), signature)).toBe(true);
    expect(keyFingerprint(signer.publicKeyRaw)).toBe((await store.info()).fingerprint);
  });

  it('refuses a key file that others can read, as OpenSSH does, instead of using it', async () => {
    await createWorkstationKeyStore(appData).info();
    await chmod(join(appData, KEYS_FOLDER, PRIVATE_KEY_FILE), 0o644);
    await expect(createWorkstationKeyStore(appData).signer()).rejects.toMatchObject({ code: 'WORKSTATION_KEY_UNUSABLE' });
  });

  it('refuses a damaged key file rather than replacing it', async () => {
    await createWorkstationKeyStore(appData).info();
    const path = join(appData, KEYS_FOLDER, PRIVATE_KEY_FILE);
    await chmod(path, 0o600);
    await writeFile(path, 'not a key\n');
    await expect(createWorkstationKeyStore(appData).info()).rejects.toMatchObject({ code: 'WORKSTATION_KEY_UNUSABLE' });
    expect(await readFile(path, 'utf8')).toBe('not a key\n');
  });
});
