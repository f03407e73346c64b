import { describe, expect, it } from 'vitest';
import {
  navigateProcessTree,
  revealProcess,
  toggleCollapsed,
  type TreeCursor,
  type TreeKey,
} from '../../../../../renderer/src/store/logic/navigate-process-tree';
import { buildProcessTree } from '../../../../../renderer/src/store/logic/process-tree';
import { visibleProcessRows } from '../../../../../renderer/src/store/logic/visible-process-rows';
import { sampleProcesses } from '../../support/sample-capture';

const tree = buildProcessTree(sampleProcesses);

function press(cursor: TreeCursor, key: TreeKey, filtering = false): TreeCursor {
  const rows = visibleProcessRows(tree, { query: '', flaggedOnly: false, collapsed: cursor.collapsed });
  return navigateProcessTree(rows, tree, cursor, key, filtering);
}

const start: TreeCursor = { selectedPid: null, collapsed: new Set() };

describe('navigateProcessTree', () => {
  it('selects the first row on the first Down', () => {
    expect(press(start, 'ArrowDown').selectedPid).toBe(1);
  });

  it('moves down and up and stops at the ends', () => {
    let cursor = press(start, 'ArrowDown');
    cursor = press(cursor, 'ArrowDown');
    expect(cursor.selectedPid).toBe(410);
    cursor = press(cursor, 'ArrowUp');
    cursor = press(cursor, 'ArrowUp');
    expect(cursor.selectedPid).toBe(1);
    expect(press({ ...cursor, selectedPid: 802 }, 'ArrowDown').selectedPid).toBe(802);
  });

  it('collapses with Left, then moves to the parent with a second Left', () => {
    let cursor: TreeCursor = { selectedPid: 410, collapsed: new Set() };
    cursor = press(cursor, 'ArrowLeft');
    expect(cursor).toMatchObject({ selectedPid: 410 });
    expect(cursor.collapsed.has(410)).toBe(true);
    cursor = press(cursor, 'ArrowLeft');
    expect(cursor.selectedPid).toBe(1);
  });

  it('expands with Right, then moves to the first child', () => {
    let cursor: TreeCursor = { selectedPid: 800, collapsed: new Set([800]) };
    cursor = press(cursor, 'ArrowRight');
    expect(cursor.collapsed.has(800)).toBe(false);
    expect(cursor.selectedPid).toBe(800);
    cursor = press(cursor, 'ArrowRight');
    expect(cursor.selectedPid).toBe(801);
  });

  it('does nothing on Right for a leaf', () => {
    const cursor: TreeCursor = { selectedPid: 801, collapsed: new Set() };
    expect(press(cursor, 'ArrowRight')).toBe(cursor);
  });

  it('moves to the parent instead of collapsing while filtering', () => {
    const cursor = press({ selectedPid: 410, collapsed: new Set() }, 'ArrowLeft', true);
    expect(cursor.selectedPid).toBe(1);
    expect(cursor.collapsed.size).toBe(0);
  });

  it('jumps with Home and End', () => {
    const cursor: TreeCursor = { selectedPid: 1022, collapsed: new Set() };
    expect(press(cursor, 'End').selectedPid).toBe(802);
    expect(press(cursor, 'Home').selectedPid).toBe(1);
  });
});

describe('revealProcess', () => {
  it('opens every collapsed ancestor and leaves other branches alone', () => {
    const collapsed = revealProcess(tree, new Set([1, 410, 800]), 1337);
    expect([...collapsed]).toEqual([800]);
  });

  it('returns the same set when nothing hides the process', () => {
    const collapsed = new Set([800]);
    expect(revealProcess(tree, collapsed, 1337)).toBe(collapsed);
  });
});

describe('toggleCollapsed', () => {
  it('flips one branch without changing the input', () => {
    const before = new Set([1]);
    expect([...toggleCollapsed(before, 2)].sort()).toEqual([1, 2]);
    expect([...toggleCollapsed(before, 1)]).toEqual([]);
    expect([...before]).toEqual([1]);
  });
});
