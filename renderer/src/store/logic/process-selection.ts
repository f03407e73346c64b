import type { ProcessDetailRecord } from '../../../../preload/api';

/**
 * Whether a loaded detail belongs to the selected process.
 *
 * The record decides when it is known: two processes can share a pid, and the detail of one must
 * never be shown for the other. Before the record is known (a selection by pid) the pid decides.
 */
export function isSelectedDetail(detail: ProcessDetailRecord, selectedPid: number | null, selectedRecord: number | null): boolean {
  if (selectedRecord !== null) return detail.process.record === selectedRecord;
  return selectedPid !== null && detail.process.pid === selectedPid;
}
