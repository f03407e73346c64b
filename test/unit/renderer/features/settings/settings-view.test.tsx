import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WorkstationKeyInfo } from '../../../../../preload/api';
import { publicKeyFileName } from '../../../../../renderer/src/features/settings/workstation-key-section';
import { createFakeApi, ok } from '../../support/fake-api';
import { renderApp } from '../../support/render-app';

afterEach(cleanup);

const key: WorkstationKeyInfo = {
  fingerprint: 'SHA256:q2vN3b/0cX+1yZ7aB8cD9eF0gH1iJ2kL3mN4oP5qR6s',
  name: null,
  publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAexample\n-----END PUBLIC KEY-----\n',
  createdAt: '2026-03-14T09:00:00.000Z',
};

describe('Settings', () => {
  it('shows the workstation key, names it and exports the public key as a file', async () => {
    const setWorkstationKeyName = vi.fn(async (args: { name: string | null }) => ok({ ...key, name: args.name }));
    const fake = createFakeApi({ getWorkstationKey: vi.fn(async () => ok(key)), setWorkstationKeyName });
    renderApp(fake.api);
    await screen.findByTestId('open-sample');
    fireEvent.click(screen.getByTestId('nav-settings'));
    expect((await screen.findByTestId('workstation-key-fingerprint')).textContent).toBe(key.fingerprint);
    expect(screen.getByTestId('workstation-key-pem').textContent).toBe(key.publicKeyPem);

    fireEvent.change(screen.getByTestId('workstation-key-name'), { target: { value: '  SOC laptop 7 ' } });
    fireEvent.click(screen.getByTestId('workstation-key-save'));
    await waitFor(() => expect(setWorkstationKeyName).toHaveBeenCalledWith({ name: 'SOC laptop 7' }));

    const created: Blob[] = [];
    const createObjectURL = vi.fn((blob: Blob) => {
      created.push(blob);
      return 'blob:key';
    });
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      expect(this.download).toBe(publicKeyFileName(key));
    });
    fireEvent.click(screen.getByTestId('workstation-key-export'));
    expect(click).toHaveBeenCalledTimes(1);
    expect(await created[0]?.text()).toBe(key.publicKeyPem);
    click.mockRestore();
  });

  it('shows why the key cannot be used', async () => {
    const fake = createFakeApi({
      getWorkstationKey: vi.fn(async () => ({ ok: false as const, error: { code: 'WORKSTATION_KEY_UNUSABLE' as const, message: 'loose permissions', hint: 'chmod 600' } })),
    });
    renderApp(fake.api);
    await screen.findByTestId('open-sample');
    fireEvent.click(screen.getByTestId('nav-settings'));
    expect((await screen.findByTestId('error-banner')).dataset.code).toBe('WORKSTATION_KEY_UNUSABLE');
  });

  it('names the exported file after the fingerprint', () => {
    expect(publicKeyFileName(key)).toBe('civic-workstation-q2vN3b0cX1yZ.pub.pem');
  });
});
