import { useRef, type KeyboardEvent } from 'react';
import type { ProcessRow } from '../../../../preload/api';
import { GuestTextView } from '../../components/guest-text-view';
import { moveFocusInList } from '../../components/list-keyboard';
import { filterListing, listingRowCap } from '../../store/logic/quick-listing';

/**
 * The clone's processes from a quick listing, searchable, one checkbox each; picked pids become targets.
 *
 * Arrow keys, Home and End move between processes, Space picks; ArrowDown in the search goes to the list.
 */
export function ProcessPicker({
  processes,
  search,
  picked,
  listedAt,
  disabled,
  onSearch,
  onToggle,
}: {
  processes: readonly ProcessRow[];
  search: string;
  picked: ReadonlySet<number>;
  /** When the listed clone was cut (UTC ISO). */
  listedAt: string;
  disabled: boolean;
  onSearch: (text: string) => void;
  onToggle: (pid: number) => void;
}) {
  const list = useRef<HTMLUListElement>(null);
  const shown = filterListing(processes, search);
  const toList = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== 'ArrowDown') return;
    event.preventDefault();
    list.current?.querySelector<HTMLElement>('[data-list-item]')?.focus();
  };

  return (
    <fieldset className="process-picker" data-testid="process-picker" disabled={disabled}>
      <legend>Targets from the quick listing</legend>
      <p className="muted" data-testid="process-picker-note">
        Listed from a clone cut at {listedAt}. The capture clones the same running VM again moments later, so long-lived processes keep
        their pids; a picked process that has ended by then is reported as gone in the outcome.
      </p>
      <label>
        Search{' '}
        <input
          type="search"
          data-testid="process-picker-search"
          value={search}
          placeholder="pid, name, user or argument"
          aria-controls="process-picker-list"
          onChange={(event) => onSearch(event.target.value)}
          onKeyDown={toList}
        />
      </label>{' '}
      <span className="muted" data-testid="process-picker-count" aria-live="polite">
        {shown.total === processes.length ? `${processes.length} processes` : `${shown.total} of ${processes.length} processes`}
        {shown.total > listingRowCap ? `; the first ${listingRowCap} shown, search to narrow` : ''}
        {picked.size > 0 ? `; ${picked.size} picked` : ''}
      </span>
      <ul id="process-picker-list" className="process-picker-list" aria-label="Processes of the clone" ref={list} onKeyDown={moveFocusInList}>
        {shown.rows.map((row) => (
          <li key={row.pid} data-testid="process-picker-row" data-pid={row.pid}>
            <label>
              <input type="checkbox" data-list-item data-testid="process-picker-check" checked={picked.has(row.pid)} onChange={() => onToggle(row.pid)} />
              <span className="mono process-picker-pid">{row.pid}</span>
              <GuestTextView value={row.name} className="process-picker-name" />
              <span className="muted process-picker-user">{row.user}</span>
              <span className="mono muted process-picker-argv">
                {row.argv.map((arg, index) => (
                  <span key={index}>
                    {index > 0 ? ' ' : ''}
                    <GuestTextView value={arg} />
                  </span>
                ))}
              </span>
            </label>
          </li>
        ))}
      </ul>
      {shown.total === 0 ? <p className="muted">No process matches the search.</p> : null}
    </fieldset>
  );
}
