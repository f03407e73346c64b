import type { CaptureFacts, ProcessFilters, ProcessWindow } from '../../../../preload/api';
import type { ProcessFilterInput } from '../../store/logic/process-filters';
import type { ProcessView } from '../../store/logic/process-view';

/** What the process toolbar shows and the changes it reports. */
export interface ProcessToolbarProps {
  readonly view: ProcessView;
  readonly window: ProcessWindow | null;
  readonly facts: CaptureFacts | null;
  readonly onSearch: (search: string) => void;
  readonly onRegex: (regex: boolean) => void;
  readonly onFilter: <K extends keyof ProcessFilters>(key: K, value: ProcessFilterInput<K>) => void;
  readonly onTreeMode: (mode: 'tree' | 'flat') => void;
  readonly onCopyRows: () => void;
}

/** How many processes the table holds, or how many of them match. */
function processCount(window: ProcessWindow | null): string {
  if (window === null) return 'Loading processes…';
  return window.matching === window.processCount ? `${window.processCount} processes` : `${window.matching} of ${window.processCount} processes`;
}

/** Search, filters, tree or flat, copy and the count above the process table; the search error below it. */
export function ProcessToolbar({ view, window, facts, onSearch, onRegex, onFilter, onTreeMode, onCopyRows }: ProcessToolbarProps) {
  return (
    <>
      <div className="toolbar">
        <input
          type="search"
          className="input"
          placeholder={view.regex ? 'Regular expression over name, argv, pid, user' : 'Search name, argv, pid or user'}
          aria-label="Search processes"
          aria-invalid={window?.searchError ? true : undefined}
          data-testid="process-search"
          value={view.search}
          maxLength={256}
          spellCheck={false}
          onChange={(event) => onSearch(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Escape' && view.search !== '') {
              event.preventDefault();
              onSearch('');
            }
          }}
        />
        <label className="checkbox">
          <input type="checkbox" data-testid="search-regex" checked={view.regex} onChange={(event) => onRegex(event.target.checked)} />
          Regex
        </label>
        <label className="checkbox">
          <input type="checkbox" data-testid="flagged-only" checked={view.filters.flaggedOnly === true} onChange={(event) => onFilter('flaggedOnly', event.target.checked)} />
          Flagged only
        </label>
        <label className="checkbox">
          <input type="checkbox" data-testid="listening-only" checked={view.filters.listeningOnly === true} onChange={(event) => onFilter('listeningOnly', event.target.checked)} />
          Listening
        </label>
        <select className="input input-small" aria-label="Filter by user" data-testid="user-filter" value={view.filters.user ?? ''} onChange={(event) => onFilter('user', event.target.value)}>
          <option value="">All users</option>
          {(facts?.users ?? []).map((user) => (
            <option key={user} value={user}>
              {user}
            </option>
          ))}
        </select>
        {facts?.hasCgroups ? (
          <input
            type="search"
            className="input input-small"
            placeholder="cgroup contains"
            aria-label="Filter by cgroup"
            data-testid="cgroup-filter"
            maxLength={1024}
            value={view.filters.cgroup ?? ''}
            onChange={(event) => onFilter('cgroup', event.target.value)}
          />
        ) : null}
        <button type="button" className="button button-small" data-testid="view-mode" aria-pressed={view.mode === 'flat'} onClick={() => onTreeMode(view.mode === 'tree' ? 'flat' : 'tree')}>
          {view.mode === 'tree' ? 'Flat list' : 'Tree'}
        </button>
        <button type="button" className="button button-small" data-testid="copy-rows" title="Copy the loaded rows as tab-separated text" onClick={onCopyRows}>
          Copy
        </button>
        <span className="toolbar-count muted" role="status" data-testid="process-count">
          {processCount(window)}
        </span>
      </div>
      {window?.searchError ? (
        <p className="inline-error" role="alert" data-testid="search-error">
          {window.searchError}
        </p>
      ) : null}
    </>
  );
}
