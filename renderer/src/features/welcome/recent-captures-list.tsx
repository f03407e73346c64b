import type { RecentCapture } from '../../../../preload/api';
import { moveFocusInList } from '../../components/list-keyboard';
import { formatTime } from '../../components/format';

/** Captures opened before; arrow keys move, Enter opens. */
export function RecentCapturesList({
  captures,
  onOpen,
  disabled,
}: {
  captures: readonly RecentCapture[];
  onOpen: (path: string) => void;
  disabled: boolean;
}) {
  if (captures.length === 0) return <p className="muted">No captures opened yet.</p>;
  return (
    <ul className="recent-list" aria-label="Recent captures" onKeyDown={moveFocusInList}>
      {captures.map((capture) => (
        <li key={capture.path}>
          <button
            type="button"
            className="recent-item"
            data-list-item
            data-testid="recent-capture"
            disabled={disabled}
            onClick={() => onOpen(capture.path)}
          >
            <span className="recent-title">{capture.title}</span>
            <span className="recent-path">{capture.path}</span>
            <span className="recent-time">{formatTime(capture.openedAt)}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}
