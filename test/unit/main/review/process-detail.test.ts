import { describe, expect, it } from 'vitest';
import type { ArtifactRecord, ProcessRow } from '../../../../preload/api';
import { processDetail } from '../../../../main/review/process-detail';
import { buildProcessIndex } from '../../../../main/review/process-index';

const row = (pid: number, ppid: number): ProcessRow => ({
  record: pid,
  pid,
  ppid,
  name: { text: `p${pid}` },
  user: 'root',
  uid: 0,
  state: 'S',
  exe: { text: '' },
  exeDeleted: false,
  argv: [],
  startedAt: null,
  threads: 1,
  rssKiB: 0,
  cpuSeconds: 0,
  flags: [],
});

const artifact = (path: string, role: string): ArtifactRecord => ({ path, role, mediaType: 'text/plain', size: 1, sha256: '0'.repeat(64) });

describe('processDetail evidence', () => {
  it('lists the artifacts that name the process, and says what was not collected', () => {
    const index = buildProcessIndex([row(1, 0), row(47, 1), row(4711, 1)], []);
    const artifacts = [
      artifact('artifacts/backtraces/4711.txt', 'backtraces'),
      artifact('artifacts/core/pid-4711.core', 'core-dump'),
      artifact('artifacts/kernel-stacks/47.txt', 'kernel-stacks'),
      artifact('artifacts/memory.elf', 'memory-dump'),
    ];
    const detail = processDetail(index, [], { sockets: [], findings: [], artifacts }, 4711, false);
    expect(detail.artifacts.map((entry) => entry.path)).toEqual(['artifacts/backtraces/4711.txt', 'artifacts/core/pid-4711.core']);
    expect(detail.notCollected).toEqual(['open files', 'anonymous executable mappings', 'kernel stack', 'syscall profile']);
    expect(detail.environment).toBeNull();
    expect(detail.ancestors).toEqual([1]);
  });
});
