import { describe, expect, it } from 'vitest';
import type { ProcessWindow, ProcessWindowRow } from '../../../../../preload/api';
import {
  defaultProcessView,
  expandAll,
  isNarrowed,
  nextSort,
  rowsAsText,
  toggleCollapsed,
  treeMove,
  windowCovers,
  windowOffsetFor,
} from '../../../../../renderer/src/store/logic/process-view';
import { openingView } from '../../../../../main/review/review-queries';
import { processRow } from '../../support/sample-capture';

function entry(pid: number, depth: number, extra: Partial<ProcessWindowRow> = {}): ProcessWindowRow {
  return { process: processRow(pid, 0, `p${pid}`), depth, hasChildren: false, expanded: false, matches: true, listening: false, ...extra };
}

// Rows 10..14 of a 100-row result: 10 (depth 0, expanded) > 11 (depth 1, collapsed branch), 12, 13 > 14.
const window: ProcessWindow = {
  offset: 10,
  rows: [
    entry(100, 0, { hasChildren: true, expanded: true }),
    entry(110, 1, { hasChildren: true, expanded: false }),
    entry(120, 1),
    entry(130, 1, { hasChildren: true, expanded: true }),
    entry(131, 2),
  ],
  total: 100,
  matching: 100,
  processCount: 100,
  searchError: null,
  locatedIndex: null,
};

describe('treeMove', () => {
  it('moves up, down, home, end and by pages within the result', () => {
    expect(treeMove(window, 12, 'ArrowUp')).toEqual({ kind: 'move', index: 11 });
    expect(treeMove(window, 12, 'ArrowDown')).toEqual({ kind: 'move', index: 13 });
    expect(treeMove(window, 12, 'Home')).toEqual({ kind: 'move', index: 0 });
    expect(treeMove(window, 12, 'End')).toEqual({ kind: 'move', index: 99 });
    expect(treeMove(window, 95, 'PageDown')).toEqual({ kind: 'move', index: 99 });
    expect(treeMove(window, null, 'ArrowDown')).toEqual({ kind: 'move', index: 0 });
  });

  it('expands a collapsed branch or enters an expanded one with Right', () => {
    expect(treeMove(window, 11, 'ArrowRight')).toEqual({ kind: 'toggle', pid: 110 });
    expect(treeMove(window, 13, 'ArrowRight')).toEqual({ kind: 'move', index: 14 });
    expect(treeMove(window, 12, 'ArrowRight')).toEqual({ kind: 'none' });
  });

  it('collapses an expanded branch or goes to the parent with Left', () => {
    expect(treeMove(window, 13, 'ArrowLeft')).toEqual({ kind: 'toggle', pid: 130 });
    expect(treeMove(window, 14, 'ArrowLeft')).toEqual({ kind: 'move', index: 13 });
    expect(treeMove(window, 12, 'ArrowLeft')).toEqual({ kind: 'move', index: 10 });
  });

  it('does nothing on an empty result', () => {
    expect(treeMove({ ...window, rows: [], total: 0 }, null, 'ArrowDown')).toEqual({ kind: 'none' });
  });
});

describe('windows', () => {
  it('knows which rows a window covers, clamped to the result', () => {
    expect(windowCovers(window, 10, 14)).toBe(true);
    expect(windowCovers(window, 9, 12)).toBe(false);
    expect(windowCovers(window, 12, 15)).toBe(false);
    expect(windowCovers({ ...window, total: 15 }, 12, 40)).toBe(true);
    expect(windowCovers(null, 0, 0)).toBe(false);
    expect(windowOffsetFor(30)).toBe(0);
    expect(windowOffsetFor(500)).toBe(400);
  });
});

describe('the opening view', () => {
  it('is the one main answers ahead while opening, so the first window is ready', () => {
    expect(defaultProcessView).toEqual(openingView);
  });
});

describe('view changes', () => {
  it('toggles and expands branches', () => {
    const collapsed = toggleCollapsed(defaultProcessView, 7);
    expect(collapsed.collapsed).toEqual([7]);
    expect(toggleCollapsed(collapsed, 7).collapsed).toEqual([]);
    expect(expandAll({ ...defaultProcessView, collapsed: [1, 2, 3] }, [3, 1]).collapsed).toEqual([2]);
  });

  it('sorts numbers largest first and flips on a second click', () => {
    const byCpu = nextSort(defaultProcessView, 'cpu');
    expect(byCpu.sort).toEqual({ key: 'cpu', descending: true });
    expect(nextSort(byCpu, 'cpu').sort).toEqual({ key: 'cpu', descending: false });
    expect(nextSort(defaultProcessView, 'name').sort).toEqual({ key: 'name', descending: false });
  });

  it('says when a search or filter narrows the table', () => {
    expect(isNarrowed(defaultProcessView)).toBe(false);
    expect(isNarrowed({ ...defaultProcessView, search: '  ' })).toBe(false);
    expect(isNarrowed({ ...defaultProcessView, filters: { user: 'root' } })).toBe(true);
  });
});

describe('rowsAsText', () => {
  it('writes one tab-separated line per row, indenting names by depth', () => {
    const text = rowsAsText([entry(1, 0), entry(2, 1)]);
    const lines = text.split('\n');
    expect(lines[0]).toBe('pid\tppid\tname\tuser\tcpu_s\trss_kib\tstarted\tthreads\texe\tflags');
    expect(lines[2]?.split('\t')[2]).toBe('  p2');
  });
});
