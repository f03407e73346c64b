import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HostKeyDialog } from '../../../../../renderer/src/features/hosts/host-key-dialog';
import { SecretDialog } from '../../../../../renderer/src/features/hosts/secret-dialog';

afterEach(cleanup);

const key = { promptId: 'p1', host: '127.0.0.1', port: 2222, keyType: 'ssh-ed25519', fingerprint: 'SHA256:FlPfyn+h3R' };

describe('HostKeyDialog', () => {
  it('shows key type and fingerprint, focuses Reject, and Escape rejects', () => {
    const onAnswer = vi.fn();
    render(<HostKeyDialog prompt={key} onAnswer={onAnswer} />);
    expect(screen.getByTestId('hostkey-fingerprint').textContent).toBe('SHA256:FlPfyn+h3R');
    expect(screen.getByTestId('hostkey-type').textContent).toBe('ssh-ed25519');
    expect(screen.getByText(/\[127\.0\.0\.1\]:2222/)).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByTestId('hostkey-reject'));
    fireEvent.keyDown(screen.getByTestId('hostkey-dialog'), { key: 'Escape' });
    expect(onAnswer).toHaveBeenCalledWith(false);
    fireEvent.click(screen.getByTestId('hostkey-accept'));
    expect(onAnswer).toHaveBeenLastCalledWith(true);
  });
});

describe('SecretDialog', () => {
  const secret = { promptId: 's1', kind: 'password' as const, target: 'u@h:22', prompt: 'Password:', echo: false };

  it('hides the answer unless echo is allowed and hands it over on submit', () => {
    const onAnswer = vi.fn();
    render(<SecretDialog prompt={secret} onAnswer={onAnswer} />);
    const input = screen.getByTestId('secret-input') as HTMLInputElement;
    expect(input.type).toBe('password');
    expect(document.activeElement).toBe(input);
    fireEvent.change(input, { target: { value: 's3cret' } });
    fireEvent.click(screen.getByTestId('secret-submit'));
    expect(onAnswer).toHaveBeenCalledWith('s3cret');
    expect(input.value).toBe('');
  });

  it('shows a non-secret question as text and cancels on Escape', () => {
    const onAnswer = vi.fn();
    render(<SecretDialog prompt={{ ...secret, kind: 'keyboard-interactive', echo: true }} onAnswer={onAnswer} />);
    expect((screen.getByTestId('secret-input') as HTMLInputElement).type).toBe('text');
    fireEvent.keyDown(screen.getByTestId('secret-dialog'), { key: 'Escape' });
    expect(onAnswer).toHaveBeenCalledWith(null);
  });
});
