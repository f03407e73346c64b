import { describe, expect, it } from 'vitest';
import { withProcessFilter } from '../../../../../renderer/src/store/logic/process-filters';

describe('withProcessFilter', () => {
  it('sets one filter and keeps the others', () => {
    expect(withProcessFilter({ flaggedOnly: true }, 'user', 'www-data')).toEqual({ flaggedOnly: true, user: 'www-data' });
    expect(withProcessFilter({ user: 'root', cgroup: 'docker' }, 'user', 'www-data')).toEqual({ user: 'www-data', cgroup: 'docker' });
  });

  it('leaves a cleared text filter out instead of keeping an empty string', () => {
    const cleared = withProcessFilter({ user: 'root', cgroup: 'docker' }, 'cgroup', '');
    expect(cleared).toEqual({ user: 'root' });
    expect(Object.keys(cleared)).toEqual(['user']);
  });

  it('leaves an unticked box out instead of keeping false or undefined', () => {
    const cleared = withProcessFilter({ flaggedOnly: true, listeningOnly: true }, 'flaggedOnly', false);
    expect(Object.keys(cleared)).toEqual(['listeningOnly']);
    expect(Object.keys(withProcessFilter({ listeningOnly: true }, 'listeningOnly', undefined))).toEqual([]);
  });

  it('does not change the filters it was given', () => {
    const filters = { user: 'root' };
    withProcessFilter(filters, 'user', '');
    expect(filters).toEqual({ user: 'root' });
  });
});
