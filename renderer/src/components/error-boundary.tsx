import { Component, type ErrorInfo, type ReactNode } from 'react';

interface ErrorBoundaryState {
  readonly failed: boolean;
}

/**
 * Catches bugs in rendering: logs them and offers a reload instead of a blank window.
 *
 * Expected errors never get here; they arrive as values and show in banners.
 */
export class ErrorBoundary extends Component<{ children: ReactNode; onReload?: () => void }, ErrorBoundaryState> {
  override state: ErrorBoundaryState = { failed: false };

  static getDerivedStateFromError(): ErrorBoundaryState {
    return { failed: true };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('[renderer] a view failed to render', error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    const reload = this.props.onReload ?? (() => window.location.reload());
    return (
      <div className="crash" role="alert">
        <h1>Something went wrong in this window</h1>
        <p>
          The view hit an unexpected error. Nothing on any host was changed by it, and open captures are
          untouched on disk. The details were written to the log.
        </p>
        <button type="button" className="button button-primary" onClick={reload}>
          Reload
        </button>
      </div>
    );
  }
}
