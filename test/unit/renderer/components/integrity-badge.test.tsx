import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { IntegrityBadge } from '../../../../renderer/src/components/integrity-badge';

afterEach(cleanup);

describe('IntegrityBadge', () => {
  it('says verified with the counts', () => {
    render(<IntegrityBadge integrity={{ verified: true, artifactsChecked: 4, bytesChecked: 1, custodyEntries: 3, problems: [] }} />);
    const badge = screen.getByTestId('integrity-badge');
    expect(badge.dataset.verified).toBe('true');
    expect(badge.textContent).toContain('Verified · 4 artifacts');
  });

  it('names each failed artifact once', () => {
    const problem = (subject: string) => ({ code: 'BUNDLE_HASH_MISMATCH' as const, message: 'm', hint: 'h', subject });
    render(
      <IntegrityBadge
        integrity={{
          verified: false,
          artifactsChecked: 4,
          bytesChecked: 1,
          custodyEntries: 3,
          problems: [problem('processes.json'), problem('findings.json'), problem('processes.json')],
        }}
      />,
    );
    const badge = screen.getByTestId('integrity-badge');
    expect(badge.dataset.verified).toBe('false');
    expect(badge.textContent).toContain('Integrity failed: processes.json, findings.json');
  });
});
