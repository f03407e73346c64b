import { describe, expect, it, vi } from 'vitest';
import { createWorkbenchStore } from '../../../../renderer/src/store/create-workbench-store';
import { createFakeApi } from '../support/fake-api';

describe('review slice filters', () => {
  it('sets one filter at a time and asks main for the narrowed window; a cleared control drops its filter', async () => {
    const fake = createFakeApi();
    const store = createWorkbenchStore(fake.api);
    await store.getState().openCapture('/a.civic');
    store.getState().setFilter('user', 'www-data');
    store.getState().setFilter('flaggedOnly', true);
    expect(store.getState().processView.filters).toEqual({ user: 'www-data', flaggedOnly: true });
    store.getState().setFilter('user', '');
    store.getState().setFilter('flaggedOnly', false);
    expect(Object.keys(store.getState().processView.filters)).toEqual([]);
    await vi.waitFor(() => expect(fake.api.queryProcesses).toHaveBeenLastCalledWith(expect.objectContaining({ filters: {} })));
  });

  it('keeps the findings grouping until the review is reset', () => {
    const store = createWorkbenchStore(createFakeApi().api);
    expect(store.getState().findingGrouping).toBe('severity');
    store.getState().setFindingGrouping('rule');
    expect(store.getState().findingGrouping).toBe('rule');
    store.getState().resetReview();
    expect(store.getState().findingGrouping).toBe('severity');
  });
});
