import type { ReactNode } from 'react';
import type { WorkbenchError } from '../../../preload/api';
import { errorKindFor } from './error-kind';

/** An expected error: a readable headline by code, then the message, the hint, what it is about and the code itself. */
export function ErrorBanner({
  error,
  onDismiss,
  action,
}: {
  error: WorkbenchError;
  onDismiss?: () => void;
  action?: ReactNode;
}) {
  const kind = errorKindFor(error.code);
  return (
    <div className={`banner banner-${kind.tone}`} role="alert" data-testid="error-banner" data-code={error.code}>
      <div className="banner-body">
        {/* The title is words only; the code, for reports and searches, has its own line below. */}
        <p className="banner-headline">{kind.headline}</p>
        <p className="banner-message">{error.message}</p>
        <p className="banner-hint">{error.hint}</p>
        {error.subject ? (
          <p className="banner-subject">
            About: <code>{error.subject}</code>
          </p>
        ) : null}
        <p className="banner-code">
          Error code: <code>{error.code}</code>
        </p>
      </div>
      <div className="banner-actions">
        {action}
        {onDismiss ? (
          <button type="button" className="button button-quiet" onClick={onDismiss}>
            Dismiss
          </button>
        ) : null}
      </div>
    </div>
  );
}
