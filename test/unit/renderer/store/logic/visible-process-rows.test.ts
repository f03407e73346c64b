import { describe, expect, it } from 'vitest';
import { buildProcessTree } from '../../../../../renderer/src/store/logic/process-tree';
import {
  matchesProcessQuery,
  visibleProcessRows,
  type ProcessFilter,
} from '../../../../../renderer/src/store/logic/visible-process-rows';
import { processRow, sampleProcesses, text } from '../../support/sample-capture';

const tree = buildProcessTree(sampleProcesses);
const noFilter: ProcessFilter = { query: '', flaggedOnly: false, collapsed: new Set() };

describe('visibleProcessRows', () => {
  it('lists every process depth-first with its depth', () => {
    const rows = visibleProcessRows(tree, noFilter);
    expect(rows.map((row) => [row.pid, row.depth])).toEqual([
      [1, 0],
      [410, 1],
      [1022, 2],
      [1337, 3],
      [800, 1],
      [801, 2],
      [802, 2],
    ]);
    expect(rows.every((row) => row.matches)).toBe(true);
  });

  it('hides the descendants of a collapsed process', () => {
    const rows = visibleProcessRows(tree, { ...noFilter, collapsed: new Set([410]) });
    expect(rows.map((row) => row.pid)).toEqual([1, 410, 800, 801, 802]);
    expect(rows.find((row) => row.pid === 410)).toMatchObject({ hasChildren: true, expanded: false });
  });

  it('shows matches with their ancestors as context, ignoring collapsed branches', () => {
    const rows = visibleProcessRows(tree, { query: 'stratum', flaggedOnly: false, collapsed: new Set([1]) });
    expect(rows.map((row) => [row.pid, row.matches])).toEqual([
      [1, false],
      [410, false],
      [1022, false],
      [1337, true],
    ]);
  });

  it('keeps only flagged processes and their ancestors with "flagged only"', () => {
    const rows = visibleProcessRows(tree, { ...noFilter, flaggedOnly: true });
    expect(rows.filter((row) => row.matches).map((row) => row.pid)).toEqual([1337]);
    expect(rows.map((row) => row.pid)).not.toContain(800);
  });

  it('shows nothing when nothing matches', () => {
    expect(visibleProcessRows(tree, { ...noFilter, query: 'no-such-process' })).toEqual([]);
  });
});

describe('matchesProcessQuery', () => {
  const row = processRow(4242, 1, 'Postgres', { user: 'pgsql', argv: [text('postgres'), text('-D /var/lib/pg')] });

  it.each([
    ['name, any case', 'postGRES'],
    ['user', 'pgsql'],
    ['an argv word', '/var/lib'],
    ['the exact pid', '4242'],
    ['an empty query', '  '],
  ])('matches by %s', (_, query) => {
    expect(matchesProcessQuery(row, query)).toBe(true);
  });

  it('does not match a pid prefix or unrelated words', () => {
    expect(matchesProcessQuery(row, '424')).toBe(false);
    expect(matchesProcessQuery(row, 'nginx')).toBe(false);
  });
});
