import { describe, expect, it } from 'vitest';
import { filterListing, listingRowCap, pidsInText, withPidToggled } from '../../../../../renderer/src/store/logic/quick-listing';
import { sampleProcesses } from '../../support/sample-capture';

describe('quick listing', () => {
  it('finds processes by pid, name, user and argv, every word required, by pid', () => {
    expect(filterListing(sampleProcesses, 'nginx').rows.map((row) => row.pid)).toEqual([800, 801, 802]);
    expect(filterListing(sampleProcesses, 'NGINX www-data').rows.map((row) => row.pid)).toEqual([801, 802]);
    expect(filterListing(sampleProcesses, 'stratum').rows.map((row) => row.pid)).toEqual([1337]);
    expect(filterListing(sampleProcesses, '1022').rows.map((row) => row.pid)).toEqual([1022]);
    expect(filterListing(sampleProcesses, '')).toMatchObject({ total: sampleProcesses.length });
    expect(filterListing(sampleProcesses, 'nothing-like-this')).toEqual({ rows: [], total: 0 });
  });

  it('draws at most the cap and still counts every match', () => {
    const many = Array.from({ length: listingRowCap + 5 }, (_, index) => ({ ...sampleProcesses[0]!, pid: index + 1 }));
    const shown = filterListing(many, '');
    expect(shown.rows).toHaveLength(listingRowCap);
    expect(shown.total).toBe(listingRowCap + 5);
  });

  it('picks and unpicks pids in the targets field, keeping what the user typed', () => {
    expect(withPidToggled('', 800)).toBe('800');
    expect(withPidToggled('412, 977', 800)).toBe('412, 977, 800');
    expect(withPidToggled('412, 800 977', 800)).toBe('412, 977');
    expect(pidsInText('412, abc 0 977 412')).toEqual([412, 977]);
  });
});
