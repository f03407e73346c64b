import { describe, expect, it } from 'vitest';
import { ancestorsOf, buildProcessTree } from '../../../../../renderer/src/store/logic/process-tree';
import { processRow } from '../../support/sample-capture';

describe('buildProcessTree', () => {
  it('nests children under parents in pid order', () => {
    const tree = buildProcessTree([processRow(1, 0, 'init'), processRow(30, 1, 'c'), processRow(20, 1, 'b')]);
    expect(tree.roots).toEqual([1]);
    expect(tree.children.get(1)).toEqual([20, 30]);
  });

  it('makes orphans roots when their parent is not in the capture', () => {
    const tree = buildProcessTree([processRow(1, 0, 'init'), processRow(500, 499, 'orphan')]);
    expect(tree.roots).toEqual([1, 500]);
    expect(tree.parentOf.has(500)).toBe(false);
  });

  it('makes a process that names itself as parent a root', () => {
    const tree = buildProcessTree([processRow(7, 7, 'self')]);
    expect(tree.roots).toEqual([7]);
  });

  it('cuts a pid cycle at its lowest pid so every process shows once', () => {
    const tree = buildProcessTree([
      processRow(1, 0, 'init'),
      processRow(10, 12, 'a'),
      processRow(11, 10, 'b'),
      processRow(12, 11, 'c'),
      processRow(13, 12, 'hanging off the cycle'),
    ]);
    expect(tree.roots).toEqual([1, 10]);
    expect(tree.children.get(10)).toEqual([11]);
    expect(tree.children.get(11)).toEqual([12]);
    expect(tree.children.get(12)).toEqual([13]);
    expect(ancestorsOf(tree, 13)).toEqual([12, 11, 10]);
  });

  it('cuts a two-process cycle', () => {
    const tree = buildProcessTree([processRow(5, 6, 'a'), processRow(6, 5, 'b')]);
    expect(tree.roots).toEqual([5]);
    expect(tree.children.get(5)).toEqual([6]);
  });

  it('keeps the first row of a repeated pid', () => {
    const tree = buildProcessTree([processRow(1, 0, 'init'), processRow(1, 0, 'impostor')]);
    expect(tree.byPid.size).toBe(1);
    expect(tree.byPid.get(1)?.name.text).toBe('init');
  });

  it('handles a chain deeper than the call stack would allow', () => {
    const rows = Array.from({ length: 20_000 }, (_, index) => processRow(index + 1, index, `p${index + 1}`));
    const tree = buildProcessTree(rows);
    expect(tree.roots).toEqual([1]);
    expect(ancestorsOf(tree, 20_000)).toHaveLength(19_999);
  });
});
