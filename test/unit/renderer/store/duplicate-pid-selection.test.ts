import { describe, expect, it, vi } from 'vitest';
import type { ProcessWindowQuery } from '../../../../preload/api';
import { createWorkbenchStore } from '../../../../renderer/src/store/create-workbench-store';
import { isSelectedDetail } from '../../../../renderer/src/store/logic/process-selection';
import { createFakeApi, ok } from '../support/fake-api';
import { detailOf, processRow, windowsOf } from '../support/sample-capture';

// Two different processes with pid 50, as a hostile or racy capture holds them.
const rows = [
  processRow(1, 0, 'init', { record: 0 }),
  processRow(50, 1, 'sshd', { record: 1, exe: { text: '/usr/sbin/sshd' } }),
  processRow(50, 1, 'miner', { record: 2, exe: { text: '/tmp/.x/miner' } }),
];

async function openStore() {
  const windows = windowsOf(rows);
  const fake = createFakeApi({
    queryProcesses: vi.fn(async (query: ProcessWindowQuery) => ok(windows({ ...query, mode: 'flat' }))),
    getProcessDetail: vi.fn(async (args: { pid: number; record?: number; revealSecrets: boolean }) => detailOf(rows, args.pid, args.revealSecrets, args.record)),
  });
  const store = createWorkbenchStore(fake.api);
  await store.getState().openCapture('/dup.civic');
  return { store, fake };
}

describe('selecting one of two processes that share a pid', () => {
  it('asks for the detail of the row chosen, by its record, and shows that process', async () => {
    const { store, fake } = await openStore();
    await store.getState().selectRow(2);
    expect(fake.api.getProcessDetail).toHaveBeenLastCalledWith(expect.objectContaining({ pid: 50, record: 2 }));
    const state = store.getState();
    expect(state.selectedRecord).toBe(2);
    expect(state.detail?.process.exe.text).toBe('/tmp/.x/miner');
    expect(state.detail && isSelectedDetail(state.detail, state.selectedPid, state.selectedRecord)).toBe(true);

    // A new view of the rows finds the selection by record, not by pid (which would find the first pid 50).
    store.getState().sortBy('name');
    await vi.waitFor(() => expect(fake.api.queryProcesses).toHaveBeenLastCalledWith(expect.objectContaining({ locateRecord: 2 })));
    await vi.waitFor(() => expect(store.getState().processWindow?.rows[store.getState().cursorIndex ?? -1]?.process.record).toBe(2));

    await store.getState().selectRow(store.getState().processWindow?.rows.findIndex((row) => row.process.record === 1) ?? -1);
    expect(store.getState().detail?.process.exe.text).toBe('/usr/sbin/sshd');
  });

  it('moves the cursor onto the second pid 50 and loads its own detail', async () => {
    const { store } = await openStore();
    await store.getState().selectRow(1);
    await store.getState().moveCursor('ArrowDown');
    expect(store.getState().cursorIndex).toBe(2);
    expect(store.getState().detail?.process.name.text).toBe('miner');
  });

  it('never takes one pid 50 detail for the other selected row', () => {
    const detail = detailOf(rows, 50, false, 1);
    if (!detail.ok) throw new Error('no detail');
    expect(isSelectedDetail(detail.value, 50, 2)).toBe(false);
    expect(isSelectedDetail(detail.value, 50, 1)).toBe(true);
    expect(isSelectedDetail(detail.value, 50, null)).toBe(true);
  });
});
