import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureOverview } from '../../../../preload/api';
import { createCaptureService, type CaptureService } from '../../../../main/captures/capture-service';
import { createReviewQueries, openingView, type ReviewQueries } from '../../../../main/review/review-queries';
import { createWorkspace, type Workspace } from '../bundle/support/bundle-copies';
import { storedProcess, writeBundleWith } from '../bundle/support/custom-bundle';

let workspace: Workspace;
let captures: CaptureService;
let review: ReviewQueries;
let overview: CaptureOverview;

// Two different processes that both claim pid 50 (a pid reused while the list was read, or a forgery).
const processes = [
  storedProcess(1, 0, { name: 'init' }),
  storedProcess(50, 1, { name: 'sshd', exe: '/usr/sbin/sshd', argv: ['sshd', '-D'], environment: ['LANG=C'] }),
  storedProcess(50, 1, { name: 'miner', exe: '/tmp/.x/miner', argv: ['miner', '--pool', 'evil.example:3333'], environment: ['WALLET=abc'] }),
  storedProcess(51, 50),
];

beforeAll(async () => {
  workspace = await createWorkspace();
  const folder = join(workspace.root, 'duplicate-pids');
  await writeBundleWith(folder, { processes: JSON.stringify({ schemaVersion: 1, capturedAt: '2026-03-14T09:27:01.310Z', processes }) });
  captures = createCaptureService();
  review = createReviewQueries({ captures, appDataDir: join(workspace.root, 'app-data') });
  overview = await captures.open(folder);
});
afterAll(async () => {
  await workspace.cleanup();
});

describe('a capture with duplicate pids', () => {
  it('opens with a warning naming the shared pid', () => {
    const warnings = overview.integrity.warnings ?? [];
    expect(warnings.map((warning) => warning.code)).toEqual(['BUNDLE_DUPLICATE_PID']);
    expect(warnings[0]?.message).toContain('pid 50 (2 processes)');
    expect(overview.integrity.verified).toBe(true);
  });

  it('lists every process with its own record', () => {
    const window = review.queryProcesses({ handle: overview.handle, ...openingView, mode: 'flat', offset: 0, limit: 100 });
    expect(window.rows.map((row) => [row.process.record, row.process.pid, row.process.name.text])).toEqual([
      [0, 1, 'init'],
      [1, 50, 'sshd'],
      [2, 50, 'miner'],
      [3, 51, 'p51'],
    ]);
  });

  it('reaches every record detail: argv, environment and executable of both pid 50s', () => {
    const details = [0, 1, 2, 3].map((record) => review.processDetail(overview.handle, processes[record]?.pid ?? -1, true, record));
    expect(details.map((detail) => detail.process.exe.text)).toEqual(processes.map((process) => process.exe));
    expect(details[1]?.process.argv.map((argument) => argument.text)).toEqual(['sshd', '-D']);
    expect(details[2]?.process.argv.map((argument) => argument.text)).toEqual(['miner', '--pool', 'evil.example:3333']);
    expect(details[2]?.environment?.map((entry) => `${entry.name.text}=${entry.value.text}`)).toEqual(['WALLET=abc']);
  });

  it('refuses a record whose pid is not the one asked for, rather than show another process', () => {
    expect(() => review.processDetail(overview.handle, 51, false, 2)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('locates a row by its record, not its pid', () => {
    const window = review.queryProcesses({ handle: overview.handle, ...openingView, mode: 'flat', offset: 0, limit: 100, locateRecord: 2 });
    expect(window.locatedIndex).toBe(2);
  });
});
