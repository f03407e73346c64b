import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, type KeyboardEvent, type PointerEvent } from 'react';
import type { ProcessSortKey, ProcessWindow, ProcessWindowRow } from '../../../../preload/api';
import { formatCpuSeconds, formatKiB, formatShortTime } from '../../components/format';
import { GuestTextView } from '../../components/guest-text-view';
import { isTreeKey, rowAt, type TreeKey } from '../../store/logic/process-view';
import { gridTemplate, processColumns } from './process-columns';

const rowHeight = 26;

/**
 * The process tree-table: virtualized over the whole result, rows fetched from main in windows.
 *
 * Keyboard: Up/Down, PageUp/PageDown, Home/End move; Right/Left expand, collapse or move to child and
 * parent; Enter toggles a branch; Escape clears the selection.
 */
export function ProcessTable({
  window,
  cursorIndex,
  sort,
  widths,
  onRange,
  onSelectRow,
  onToggle,
  onKey,
  onClear,
  onSort,
  onResize,
}: {
  window: ProcessWindow | null;
  cursorIndex: number | null;
  sort: { key: ProcessSortKey; descending: boolean };
  widths: Readonly<Record<string, number>>;
  onRange: (start: number, end: number) => void;
  onSelectRow: (index: number) => void;
  onToggle: (pid: number) => void;
  onKey: (key: TreeKey) => void;
  onClear: () => void;
  onSort: (key: ProcessSortKey) => void;
  onResize: (column: string, width: number) => void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const total = window?.total ?? 0;
  // The React Compiler is not used here; this component re-renders on every virtualizer change as
  // TanStack Virtual expects, so its unmemoizable functions are fine.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 20,
    scrollMargin: rowHeight,
    scrollPaddingStart: rowHeight,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  // Runs again when a window arrives: an answer to an older request may not cover what is visible now.
  const windowOffset = window?.offset ?? -1;
  useEffect(() => {
    if (total > 0) onRange(first, last);
  }, [first, last, total, windowOffset, onRange]);

  useEffect(() => {
    if (cursorIndex !== null) virtualizer.scrollToIndex(cursorIndex, { align: 'auto' });
  }, [cursorIndex, virtualizer]);

  const keyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (isTreeKey(event.key)) {
      event.preventDefault();
      onKey(event.key);
      return;
    }
    const row = cursorIndex === null ? undefined : rowAt(window, cursorIndex);
    if (event.key === 'Enter' && row?.hasChildren) {
      event.preventDefault();
      onToggle(row.process.pid);
    } else if (event.key === 'Escape' && cursorIndex !== null) {
      event.preventDefault();
      onClear();
    }
  };

  const template = gridTemplate(widths);
  // Rows are identified by record, not pid: a capture can hold two processes with one pid.
  const selectedRecord = cursorIndex === null ? null : (rowAt(window, cursorIndex)?.process.record ?? null);

  return (
    <div
      className="process-table"
      role="treegrid"
      aria-label="Processes"
      aria-rowcount={total}
      aria-activedescendant={selectedRecord !== null ? `process-${selectedRecord}` : undefined}
      tabIndex={0}
      data-testid="process-table"
      onKeyDown={keyDown}
    >
      <div className="process-scroller" ref={scroller}>
        <div className="process-grid process-header" role="row" style={{ gridTemplateColumns: template }}>
          {processColumns.map((column) => (
            <span
              key={column.id}
              role="columnheader"
              className="process-cell process-header-cell"
              title={column.title}
              aria-sort={sort.key === column.sortKey ? (sort.descending ? 'descending' : 'ascending') : 'none'}
            >
              <button type="button" className="column-sort" data-testid={`sort-${column.id}`} onClick={() => onSort(column.sortKey)}>
                {column.label}
                {sort.key === column.sortKey ? <span aria-hidden="true">{sort.descending ? ' ▾' : ' ▴'}</span> : null}
              </button>
              <ColumnResizer column={column.id} width={widths[column.id] ?? column.width} onResize={onResize} />
            </span>
          ))}
        </div>
        {window && total === 0 ? <p className="process-empty">No process matches.</p> : null}
        <div className="process-canvas" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const row = rowAt(window, item.index);
            const top = item.start - rowHeight;
            if (!row) return <div key={`pending-${item.index}`} className="process-grid process-row process-row-pending" style={{ transform: `translateY(${top}px)`, height: rowHeight }} />;
            return (
              <ProcessTableRow
                key={row.process.record}
                row={row}
                index={item.index}
                template={template}
                top={top}
                selected={item.index === cursorIndex}
                onSelect={onSelectRow}
                onToggle={onToggle}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

function ColumnResizer({ column, width, onResize }: { column: string; width: number; onResize: (column: string, width: number) => void }) {
  const start = useRef<{ x: number; width: number } | null>(null);
  const down = (event: PointerEvent<HTMLSpanElement>): void => {
    event.preventDefault();
    event.currentTarget.setPointerCapture(event.pointerId);
    start.current = { x: event.clientX, width };
  };
  const move = (event: PointerEvent<HTMLSpanElement>): void => {
    if (start.current) onResize(column, start.current.width + event.clientX - start.current.x);
  };
  const up = (): void => {
    start.current = null;
  };
  return (
    <span
      className="column-resizer"
      role="separator"
      aria-orientation="vertical"
      aria-label={`Resize ${column}`}
      data-testid={`resize-${column}`}
      onPointerDown={down}
      onPointerMove={move}
      onPointerUp={up}
      onPointerCancel={up}
    />
  );
}

function ProcessTableRow({
  row,
  index,
  template,
  top,
  selected,
  onSelect,
  onToggle,
}: {
  row: ProcessWindowRow;
  index: number;
  template: string;
  top: number;
  selected: boolean;
  onSelect: (index: number) => void;
  onToggle: (pid: number) => void;
}) {
  const { process } = row;
  const classes = ['process-grid', 'process-row'];
  if (selected) classes.push('process-row-selected');
  if (!row.matches) classes.push('process-row-context');
  if (process.flags.length > 0) classes.push('process-row-flagged');
  return (
    <div
      id={`process-${process.record}`}
      className={classes.join(' ')}
      role="row"
      aria-level={row.depth + 1}
      aria-expanded={row.hasChildren ? row.expanded : undefined}
      aria-selected={selected}
      data-testid="process-row"
      data-pid={process.pid}
      data-record={process.record}
      data-index={index}
      style={{ transform: `translateY(${top}px)`, height: rowHeight, gridTemplateColumns: template }}
      onClick={() => onSelect(index)}
    >
      <span role="gridcell" className="process-cell cell-number">
        {process.pid}
      </span>
      <span role="gridcell" className="process-cell cell-name" title={process.name.text} style={{ paddingLeft: 4 + Math.min(row.depth, 40) * 14 }}>
        {row.hasChildren ? (
          <button
            type="button"
            tabIndex={-1}
            className="tree-toggle"
            data-testid="tree-toggle"
            aria-label={row.expanded ? `Collapse ${process.pid}` : `Expand ${process.pid}`}
            onClick={(event) => {
              event.stopPropagation();
              onToggle(process.pid);
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
      <span role="gridcell" className="process-cell cell-number">
        {formatCpuSeconds(process.cpuSeconds)}
      </span>
      <span role="gridcell" className="process-cell cell-number">
        {formatKiB(process.rssKiB)}
      </span>
      <span role="gridcell" className="process-cell cell-time">
        {formatShortTime(process.startedAt)}
      </span>
      <span role="gridcell" className="process-cell cell-number">
        {process.threads}
      </span>
      <span role="gridcell" className="process-cell cell-mono" title={process.exe.text}>
        <GuestTextView value={process.exe} />
      </span>
      <span role="gridcell" className="process-cell cell-flags" title={process.flags.join(', ')}>
        {process.exeDeleted ? <span className="badge badge-danger badge-small">deleted</span> : null}
        {row.listening ? <span className="badge badge-small badge-listen">listen</span> : null}
        {process.flags.length > 0 ? <span className="badge badge-flag badge-small">{process.flags[0]}</span> : null}
        {process.flags.length > 1 ? <span className="flag-more">+{process.flags.length - 1}</span> : null}
      </span>
    </div>
  );
}
