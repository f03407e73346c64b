import { describe, expect, it } from 'vitest';
import { explainGoneTargets, withProcessListing } from '../../../../main/capture-session/gone-targets';

describe('gone targets', () => {
  it('adds the process listing first only when per-process steps name pids', () => {
    expect(withProcessListing([{ id: 'core-dump', pids: [7] }])).toEqual([{ id: 'processes' }, { id: 'core-dump', pids: [7] }]);
    expect(withProcessListing([{ id: 'sockets' }, { id: 'processes' }, { id: 'syscalls', pids: [7] }])).toEqual([
      { id: 'sockets' },
      { id: 'processes' },
      { id: 'syscalls', pids: [7] },
    ]);
    expect(withProcessListing([{ id: 'memory-dump' }])).toEqual([{ id: 'memory-dump' }]);
  });

  it('names a failed pid the clone does not list as gone, and leaves every other failure as it was', () => {
    const failed = [
      { step: 'kernel-stacks', pid: 9, code: 'HELPER_FAILED', message: 'ended with exit 1' },
      { step: 'kernel-stacks', pid: 1, code: 'HELPER_FAILED', message: 'ended with exit 1' },
      { step: 'sockets', pid: null, code: 'HELPER_FAILED', message: 'collector failed' },
    ];
    const explained = explainGoneTargets(failed, [1, 2]);
    expect(explained[0]).toMatchObject({ pid: 9, code: 'PROCESS_GONE', message: expect.stringMatching(/^Process 9 is not running in this clone/) });
    expect(explained.slice(1)).toEqual(failed.slice(1));
    // Without the clone's listing nothing can be told.
    expect(explainGoneTargets(failed, null)).toEqual(failed);
  });
});
