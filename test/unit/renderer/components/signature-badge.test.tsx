import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { SignatureBadge } from '../../../../renderer/src/components/signature-badge';

afterEach(cleanup);

const signer = { fingerprint: 'SHA256:3Jx0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t', name: 'IR laptop' };

describe('SignatureBadge', () => {
  it('names the signer by fingerprint, and the name as self-chosen', () => {
    render(<SignatureBadge signature={{ state: 'valid', signer, signedAt: '2026-03-14T09:30:00.000Z', custodyEntriesSigned: 4 }} />);
    const badge = screen.getByTestId('signature-badge');
    expect(badge.dataset.signature).toBe('valid');
    expect(badge.textContent).toContain(`Signed by ${signer.fingerprint}`);
    expect(badge.textContent).toContain('“IR laptop”, self-named');
  });

  it('says unsigned for older captures and reports without a signature', () => {
    render(<SignatureBadge signature={{ state: 'unsigned' }} />);
    expect(screen.getByTestId('signature-badge').textContent).toBe('Unsigned');
    cleanup();
    render(<SignatureBadge signature={undefined} />);
    expect(screen.getByTestId('signature-badge').dataset.signature).toBe('unsigned');
  });

  it('says the signature fails, with its code, and never shows the claimed name as a signer', () => {
    render(<SignatureBadge signature={{ state: 'invalid', code: 'BUNDLE_SIGNATURE_CUSTODY_MISMATCH', signer }} />);
    const badge = screen.getByTestId('signature-badge');
    expect(badge.dataset.signature).toBe('invalid');
    expect(badge.title).toBe('BUNDLE_SIGNATURE_CUSTODY_MISMATCH');
    expect(badge.textContent).toContain('Signature fails');
    expect(badge.textContent).not.toContain('IR laptop');
  });
});
