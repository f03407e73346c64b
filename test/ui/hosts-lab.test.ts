import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { labAcquire, labRelease, labVm, type LabInfo } from '../support/lab';
import { startWebWorkbench, type WebWorkbench } from '../support/web-mode';

// The Hosts view in a real browser against the real services and the lab's sshd: add a host, decide
// about its key, connect, and see its VMs; then the two refusals a user must be able to read.

const run = promisify(execFile);

/** `SHA256:...` of a known_hosts line's key, as OpenSSH prints it. */
function fingerprintOf(knownHostsLine: string): string {
  const blob = knownHostsLine.trim().split(/\s+/)[2] ?? '';
  return `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

async function addLabHost(page: Page, lab: LabInfo, qmpDir: string): Promise<void> {
  await page.getByTestId('nav-hosts').click();
  await page.getByTestId('host-add').click();
  await page.getByTestId('host-form-alias').fill('lab');
  await page.getByTestId('host-form-host').fill(lab.ssh.host);
  await page.getByTestId('host-form-port').fill(String(lab.ssh.port));
  await page.getByTestId('host-form-user').fill('root');
  await page.getByTestId('host-form-identity').fill(lab.ssh.privateKeyPath);
  await page.getByTestId('host-form-qmpdirs').fill(qmpDir);
  await page.getByTestId('host-save').click();
  await page.getByTestId('host-item').first().waitFor();
}

let lab: LabInfo;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  lab = await labAcquire({ vms: process.env['CIVIC_LAB_VMS'] ?? 'lab-web', owner: 'tests' });
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await labRelease({ keep: process.env['CIVIC_LAB_KEEP'] === '1' });
});

describe('Hosts view in the browser (web mode, lab sshd)', () => {
  let workbench: WebWorkbench;

  beforeAll(async () => {
    const home = await mkdtemp(join(tmpdir(), 'civic-ui-hosts-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    workbench = await startWebWorkbench({ homeDir: home });
    cleanups.push(() => workbench.close());
  });

  it('rejecting an unknown host key refuses the connection with HOST_KEY_UNKNOWN (Escape rejects)', async () => {
    const { page } = workbench;
    await addLabHost(page, lab, dirname(labVm(lab, 'lab-web').qmpSocketPath ?? '/'));
    await page.getByTestId('host-connect').click();
    const dialog = page.getByTestId('hostkey-dialog');
    await dialog.waitFor();
    expect(await page.getByTestId('hostkey-fingerprint').textContent()).toBe(fingerprintOf(lab.ssh.knownHostsLine));
    await page.keyboard.press('Escape');
    const banner = page.locator('[data-testid="error-banner"][data-code="HOST_KEY_UNKNOWN"]');
    await banner.waitFor();
    expect(await banner.textContent()).toContain(fingerprintOf(lab.ssh.knownHostsLine));
    expect(await dialog.count()).toBe(0);
  });

  it('accepting the fingerprint connects and shows lab-web with its badges', async () => {
    const { page } = workbench;
    await page.getByTestId('host-retry').click();
    await page.getByTestId('hostkey-dialog').waitFor();
    await page.getByTestId('hostkey-accept').click();
    const web = page.locator('[data-testid="vm-item"][data-vm-name="lab-web"]');
    await web.waitFor({ timeout: 90_000 });
    const badges = await web.getByTestId('vm-badge').allTextContents();
    expect(badges).toEqual(expect.arrayContaining(['cloneable', 'qga', 'bare QEMU']));
    expect(await page.getByTestId('host-item').getAttribute('data-state')).toBe('connected');
    expect(workbench.pageErrors).toEqual([]);
  });
});

describe('a key passphrase in the browser', () => {
  let workbench: WebWorkbench;
  let keyPath: string;
  const passphrase = 'ui-secret-passphrase';

  beforeAll(async () => {
    const home = await mkdtemp(join(tmpdir(), 'civic-ui-hosts-secret-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    // The lab's own key, encrypted: the service must ask for its passphrase.
    keyPath = join(home, 'encrypted_ed25519');
    await copyFile(lab.ssh.privateKeyPath, keyPath);
    await chmod(keyPath, 0o600);
    await run('ssh-keygen', ['-q', '-p', '-f', keyPath, '-P', '', '-N', passphrase]);
    await mkdir(join(home, '.ssh'), { recursive: true });
    await writeFile(join(home, '.ssh', 'known_hosts'), `${lab.ssh.knownHostsLine.trim()}\n`);
    workbench = await startWebWorkbench({ homeDir: home });
    cleanups.push(() => workbench.close());
  });

  it('asks in a password field, then connects with the typed passphrase', async () => {
    const { page } = workbench;
    await addLabHost(page, { ...lab, ssh: { ...lab.ssh, privateKeyPath: keyPath } }, '');
    await page.getByTestId('host-connect').click();
    await page.getByTestId('secret-dialog').waitFor();
    const input = page.getByTestId('secret-input');
    expect(await input.getAttribute('type')).toBe('password');
    await input.fill(passphrase);
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="host-item"][data-state="connected"]').waitFor({ timeout: 90_000 });
    expect(await page.getByTestId('secret-dialog').count()).toBe(0);
    expect(await page.content()).not.toContain(passphrase);
  });
});

describe('a changed host key in the browser', () => {
  let workbench: WebWorkbench;
  let wrongFingerprint: string;

  beforeAll(async () => {
    const home = await mkdtemp(join(tmpdir(), 'civic-ui-hosts-changed-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    await mkdir(join(home, '.ssh'), { recursive: true });
    const keyPath = join(home, 'other-key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyPath]);
    const otherKey = (await readFile(`${keyPath}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
    const line = `[${lab.ssh.host}]:${lab.ssh.port} ${otherKey}`;
    wrongFingerprint = fingerprintOf(line);
    await writeFile(join(home, '.ssh', 'known_hosts'), `${line}\n`);
    workbench = await startWebWorkbench({ homeDir: home });
    cleanups.push(() => workbench.close());
  });

  it('shows HOST_KEY_MISMATCH with both fingerprints and never asks to accept', async () => {
    const { page } = workbench;
    await addLabHost(page, lab, '');
    await page.getByTestId('host-connect').click();
    const banner = page.locator('[data-testid="error-banner"][data-code="HOST_KEY_MISMATCH"]');
    await banner.waitFor();
    const text = (await banner.textContent()) ?? '';
    expect(text).toContain(fingerprintOf(lab.ssh.knownHostsLine));
    expect(text).toContain(wrongFingerprint);
    expect(await page.getByTestId('hostkey-dialog').count()).toBe(0);
    expect(await page.getByTestId('host-retry').count()).toBe(0);
  });
});
