import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { ProcessRow } from '../../../../preload/api';
import { formatCpuSeconds, formatKiB, formatShortTime } from '../../components/format';
import { GuestTextView } from '../../components/guest-text-view';
import { isTreeKey, type TreeKey } from '../../store/logic/navigate-process-tree';
import type { VisibleProcessRow } from '../../store/logic/visible-process-rows';

const rowHeight = 26;

/** The columns, shared by the header and every row so they line up. */
const columns = [
  { label: 'PID', title: 'Process id' },
  { label: 'Name', title: 'Process name' },
  { label: 'User', title: 'Effective user' },
  { label: 'St', title: 'State' },
  { label: 'Thr', title: 'Threads' },
  { label: 'RSS', title: 'Resident memory' },
  { label: 'CPU', title: 'CPU time used' },
  { label: 'Started', title: 'Start time (UTC)' },
  { label: 'Executable', title: 'Executable path' },
  { label: 'Flags', title: 'Rules that fired' },
];

/**
 * The process tree-table: virtualized, so captures with thousands of processes scroll smoothly.
 *
 * Keyboard: Up/Down move, Right/Left expand, collapse or move to child and parent, Enter toggles a
 * branch, Escape clears the selection.
 */
export function ProcessTable({
  rows,
  byPid,
  selectedPid,
  onSelect,
  onToggle,
  onKey,
}: {
  rows: readonly VisibleProcessRow[];
  byPid: ReadonlyMap<number, ProcessRow>;
  selectedPid: number | null;
  onSelect: (pid: number | null) => void;
  onToggle: (pid: number) => void;
  onKey: (key: TreeKey) => void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  // The React Compiler is not used here; this component re-renders on every virtualizer change as
  // TanStack Virtual expects, so its unmemoizable functions are fine.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 16,
    // The sticky header sits above the rows inside the scroller: rows start one row down, and a row
    // scrolled into view must not hide under the header.
    scrollMargin: rowHeight,
    scrollPaddingStart: rowHeight,
  });
  const selectedIndex = selectedPid === null ? -1 : rows.findIndex((row) => row.pid === selectedPid);

  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
  }, [selectedIndex, virtualizer]);

  const keyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (isTreeKey(event.key)) {
      event.preventDefault();
      onKey(event.key);
    } else if (event.key === 'Enter' && selectedIndex >= 0 && rows[selectedIndex]?.hasChildren) {
      event.preventDefault();
      onToggle(rows[selectedIndex].pid);
    } else if (event.key === 'Escape' && selectedPid !== null) {
      event.preventDefault();
      onSelect(null);
    }
  };

  return (
    <div
      className="process-table"
      role="treegrid"
      aria-label="Processes"
      aria-rowcount={rows.length}
      aria-activedescendant={selectedIndex >= 0 ? `process-${selectedPid}` : undefined}
      tabIndex={0}
      onKeyDown={keyDown}
    >
      <div className="process-scroller" ref={scroller}>
        {/* Inside the scroller and sticky, so it follows horizontal scrolling and stays on top. */}
        <div className="process-grid process-header" role="row">
          {columns.map((column) => (
            <span key={column.label} role="columnheader" className="process-cell" title={column.title}>
              {column.label}
            </span>
          ))}
        </div>
        {rows.length === 0 ? <p className="process-empty">No process matches.</p> : null}
        <div className="process-canvas" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index] as VisibleProcessRow;
            const process = byPid.get(row.pid) as ProcessRow;
            return (
              <ProcessTableRow
                key={row.pid}
                row={row}
                process={process}
                top={item.start - rowHeight}
                selected={row.pid === selectedPid}
                onSelect={onSelect}
                onToggle={onToggle}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

function ProcessTableRow({
  row,
  process,
  top,
  selected,
  onSelect,
  onToggle,
}: {
  row: VisibleProcessRow;
  process: ProcessRow;
  top: number;
  selected: boolean;
  onSelect: (pid: number) => void;
  onToggle: (pid: number) => void;
}) {
  const classes = ['process-grid', 'process-row'];
  if (selected) classes.push('process-row-selected');
  if (!row.matches) classes.push('process-row-context');
  if (process.flags.length > 0) classes.push('process-row-flagged');
  return (
    <div
      id={`process-${row.pid}`}
      className={classes.join(' ')}
      role="row"
      aria-level={row.depth + 1}
      aria-expanded={row.hasChildren ? row.expanded : undefined}
      aria-selected={selected}
      data-testid="process-row"
      data-pid={row.pid}
      style={{ transform: `translateY(${top}px)`, height: rowHeight }}
      onClick={() => onSelect(row.pid)}
    >
      <span role="gridcell" className="process-cell cell-number">
        {row.pid}
      </span>
      <span
        role="gridcell"
        className="process-cell cell-name"
        title={process.name.text}
        style={{ paddingLeft: 4 + row.depth * 14 }}
      >
        {row.hasChildren ? (
          <button
            type="button"
            tabIndex={-1}
            className="tree-toggle"
            aria-label={row.expanded ? `Collapse ${row.pid}` : `Expand ${row.pid}`}
            onClick={(event) => {
              event.stopPropagation();
              onToggle(row.pid);
            }}
          >
            {row.expanded ? '▾' : '▸'}
          </button>
        ) : (
          <span className="tree-spacer" />
        )}
        <GuestTextView value={process.name} />
      </span>
      <span role="gridcell" className="process-cell">
        {process.user}
      </span>
      <span role="gridcell" className="process-cell cell-state">
        {process.state}
      </span>
      <span role="gridcell" className="process-cell cell-number">
        {process.threads}
      </span>
      <span role="gridcell" className="process-cell cell-number">
        {formatKiB(process.rssKiB)}
      </span>
      <span role="gridcell" className="process-cell cell-number">
        {formatCpuSeconds(process.cpuSeconds)}
      </span>
      <span role="gridcell" className="process-cell cell-time">
        {formatShortTime(process.startedAt)}
      </span>
      <span role="gridcell" className="process-cell cell-mono" title={process.exe.text}>
        <GuestTextView value={process.exe} />
        {process.exeDeleted ? <span className="badge badge-danger badge-small">deleted</span> : null}
      </span>
      <span role="gridcell" className="process-cell cell-flags" title={process.flags.join(', ')}>
        {process.flags.length > 0 ? <span className="badge badge-flag badge-small">{process.flags[0]}</span> : null}
        {process.flags.length > 1 ? <span className="flag-more">+{process.flags.length - 1}</span> : null}
      </span>
    </div>
  );
}
