import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { ProcessRow } from '../../../../preload/api';
import { formatCpuSeconds, formatKiB, formatTime } from '../../components/format';
import { GuestTextView } from '../../components/guest-text-view';
import { isTreeKey, type TreeKey } from '../../store/logic/navigate-process-tree';
import type { VisibleProcessRow } from '../../store/logic/visible-process-rows';

const rowHeight = 26;

/** The columns, shared by the header and every row so they line up. */
const columns = ['PID', 'Name', 'User', 'State', 'Thr', 'RSS', 'CPU', 'Started', 'Executable', 'Flags'];

/**
 * The process tree-table: virtualized, so captures with thousands of processes scroll smoothly.
 *
 * Keyboard: Up/Down move, Right/Left expand, collapse or move to child and parent, Escape clears
 * the selection.
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
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 16,
  });
  const selectedIndex = selectedPid === null ? -1 : rows.findIndex((row) => row.pid === selectedPid);

  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
  }, [selectedIndex, virtualizer]);

  const keyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (isTreeKey(event.key)) {
      event.preventDefault();
      onKey(event.key);
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
      <div className="process-grid process-header" role="row">
        {columns.map((column) => (
          <span key={column} role="columnheader" className="process-cell">
            {column}
          </span>
        ))}
      </div>
      <div className="process-scroller" ref={scroller}>
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
                top={item.start}
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
      <span role="gridcell" className="process-cell cell-name" style={{ paddingLeft: 4 + row.depth * 14 }}>
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
        {formatTime(process.startedAt).replace(' UTC', '')}
      </span>
      <span role="gridcell" className="process-cell cell-mono">
        <GuestTextView value={process.exe} />
        {process.exeDeleted ? <span className="badge badge-danger badge-small">deleted</span> : null}
      </span>
      <span role="gridcell" className="process-cell cell-flags">
        {process.flags.map((flag) => (
          <span key={flag} className="badge badge-flag badge-small">
            {flag}
          </span>
        ))}
      </span>
    </div>
  );
}
