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

  it('names every target pid the clone does not list as gone, whether or not its tool failed, and leaves other failures', () => {
    const failed = [
      { step: 'kernel-stacks', pid: 9, code: 'HELPER_FAILED', message: 'ended with exit 1' },
      { step: 'kernel-stacks', pid: 1, code: 'HELPER_FAILED', message: 'ended with exit 1' },
      { step: 'sockets', pid: null, code: 'HELPER_FAILED', message: 'collector failed' },
    ];
    const steps = [{ id: 'processes' as const }, { id: 'kernel-stacks' as const, pids: [1, 9] }, { id: 'backtraces' as const, pids: [2, 9] }];
    const explained = explainGoneTargets(steps, failed, [1, 2]);
    expect(explained[0]).toMatchObject({ step: 'kernel-stacks', pid: 9, code: 'PROCESS_GONE', message: expect.stringMatching(/^Process 9 is not running in this clone/) });
    expect(explained.slice(1, 3)).toEqual(failed.slice(1));
    // gdb reported nothing for 9: the listing still names it gone, once.
    expect(explained.slice(3)).toEqual([{ step: 'backtraces', pid: 9, code: 'PROCESS_GONE', message: expect.stringMatching(/^Process 9 /) }]);
    // Without the clone's listing nothing can be told.
    expect(explainGoneTargets(steps, failed, null)).toEqual(failed);
  });
});
