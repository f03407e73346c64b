import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ErrorCode } from '../../../../preload/api';
import { ErrorBanner } from '../../../../renderer/src/components/error-banner';
import { errorKindFor } from '../../../../renderer/src/components/error-kind';

afterEach(cleanup);

describe('ErrorBanner', () => {
  it('shows the message, the hint and the subject', () => {
    render(
      <ErrorBanner
        error={{ code: 'BUNDLE_HASH_MISMATCH', message: 'processes.json changed.', hint: 'Do not rely on it.', subject: 'processes.json' }}
      />,
    );
    const banner = screen.getByTestId('error-banner');
    expect(banner.textContent).toContain('processes.json changed.');
    expect(banner.textContent).toContain('Do not rely on it.');
    expect(banner.textContent).toContain('About: processes.json');
    expect(banner.className).toContain('banner-danger');
  });

  it('takes its headline from the code, not the message', () => {
    render(<ErrorBanner error={{ code: 'CANCELLED', message: 'Capture refused: possible tampering', hint: 'h' }} />);
    expect(screen.getByTestId('error-banner').className).toContain('banner-info');
    expect(screen.getByText('Cancelled')).toBeTruthy();
  });

  it('titles itself in words, with the code on its own line rather than run into the title', () => {
    render(<ErrorBanner error={{ code: 'NOT_FOUND', message: 'No host named "kvm9".', hint: 'h' }} />);
    const banner = screen.getByTestId('error-banner');
    expect(banner.querySelector('.banner-headline')?.textContent).toBe('Not found');
    expect(banner.querySelector('.banner-code')?.textContent).toBe('Error code: NOT_FOUND');
    expect(banner.textContent).not.toContain('Not found NOT_FOUND');
  });

  it('titles a toolkit that cannot be built by what it is about', () => {
    render(<ErrorBanner error={{ code: 'TOOLKIT_PREREQUISITE_MISSING', message: 'gcc is not installed.', hint: 'sudo apt-get install -y gcc' }} />);
    expect(screen.getByTestId('error-banner').querySelector('.banner-headline')?.textContent).toBe('The in-guest toolkit could not be prepared on this machine');
  });

  it('calls onDismiss', () => {
    const onDismiss = vi.fn();
    render(<ErrorBanner error={{ code: 'NOT_FOUND', message: 'm', hint: 'h' }} onDismiss={onDismiss} />);
    fireEvent.click(screen.getByText('Dismiss'));
    expect(onDismiss).toHaveBeenCalledOnce();
  });
});

describe('errorKindFor', () => {
  it.each<[ErrorCode, string]>([
    ['HOST_KEY_MISMATCH', 'danger'],
    ['BUNDLE_PATH_TRAVERSAL', 'danger'],
    ['BUNDLE_TRUNCATED', 'warning'],
    ['CONNECTION_LOST', 'warning'],
    ['NOT_SUPPORTED', 'info'],
    ['INTERNAL', 'danger'],
    ['TOOLKIT_PREREQUISITE_MISSING', 'warning'],
    ['TOOLKIT_BUILD_FAILED', 'warning'],
    ['TOOLKIT_NOT_BUILT', 'warning'],
    ['TOO_MANY_REQUESTS', 'warning'],
  ])('gives %s the %s tone', (code, tone) => {
    expect(errorKindFor(code).tone).toBe(tone);
  });
});
