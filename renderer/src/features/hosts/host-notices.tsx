import type { HostNoticeEvent } from '../../../../preload/api';

/** What the app did on a host by itself (recovering interrupted clones at connect), one line each. */
export function HostNotices({ notices, onDismiss }: { notices: readonly HostNoticeEvent[]; onDismiss: (noticeId: string) => void }) {
  if (notices.length === 0) return null;
  return (
    <ul className="host-notices" aria-label="What the workbench did on this host">
      {notices.map((notice) => (
        <li key={notice.noticeId} className={`host-notice host-notice-${notice.tone}`} data-testid="host-notice" data-tone={notice.tone} role="status">
          <span>
            {notice.text}
            {notice.error ? (
              <>
                {' '}
                <span className="mono" data-testid="host-notice-hint">
                  {notice.error.hint}
                </span>
              </>
            ) : null}
          </span>
          <button type="button" className="button button-small button-quiet" data-testid="host-notice-dismiss" onClick={() => onDismiss(notice.noticeId)}>
            Dismiss
          </button>
        </li>
      ))}
    </ul>
  );
}
