import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorBoundary } from '../../../../renderer/src/components/error-boundary';

afterEach(cleanup);

function Broken(): never {
  throw new Error('render bug');
}

describe('ErrorBoundary', () => {
  it('shows a friendly message with Reload and logs the error', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const onReload = vi.fn();
    render(
      <ErrorBoundary onReload={onReload}>
        <Broken />
      </ErrorBoundary>,
    );
    expect(screen.getByRole('alert').textContent).toContain('Something went wrong');
    fireEvent.click(screen.getByText('Reload'));
    expect(onReload).toHaveBeenCalledOnce();
    expect(log.mock.calls.some((call) => call[0] === '[renderer] a view failed to render')).toBe(true);
    log.mockRestore();
  });

  it('renders its children when nothing fails', () => {
    render(
      <ErrorBoundary>
        <p>fine</p>
      </ErrorBoundary>,
    );
    expect(screen.getByText('fine')).toBeTruthy();
  });
});
