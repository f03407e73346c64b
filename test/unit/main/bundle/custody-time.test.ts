import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustodyEntry } from '../../../../preload/api';
import { openBundle } from '../../../../main/bundle/bundle-reader';
import { appendCustody } from '../../../../main/bundle/bundle-writer';
import { checkCustody, custodyEntryHash, custodyLine, nextCustodyEntry } from '../../../../main/bundle/custody';
import { createWorkspace, SAMPLE_ARCHIVE, type Workspace } from './support/bundle-copies';
import { readCustody, writeBundleWith } from './support/custom-bundle';
import { verifyCommand } from '../../../../main/cli/commands/verify';
import { captureIo } from '../../cli/commands/support/capture-io';

const manifestSha256 = 'b'.repeat(64);
const seal = { actor: 'a@b', action: 'seal-manifest', subject: 'manifest.json', sha256: manifestSha256 };

let workspace: Workspace;
beforeAll(async () => {
  workspace = await createWorkspace();
});
afterAll(async () => {
  await workspace.cleanup();
});

/** A clock that reads the given times in turn. */
function clockOf(...times: string[]): () => Date {
  let next = 0;
  return () => new Date(times[Math.min(next++, times.length - 1)] ?? times[0] ?? 0);
}

describe('custody times', () => {
  it('are stamped when the entry is made and never go backwards, even if the clock does', () => {
    const clock = clockOf('2026-03-14T10:00:05.000Z', '2026-03-14T10:00:01.000Z', '2026-03-14T10:00:09.000Z');
    const first = nextCustodyEntry(undefined, seal, clock);
    const second = nextCustodyEntry(first, { actor: 'a@b', action: 'collected-by', subject: 'clone' }, clock);
    const third = nextCustodyEntry(second, { actor: 'a@b', action: 'verified', subject: 'manifest.json' }, clock);
    expect([first.at, second.at, third.at]).toEqual(['2026-03-14T10:00:05.000Z', '2026-03-14T10:00:05.000Z', '2026-03-14T10:00:09.000Z']);
    // An explicit time earlier than the entry before it is raised to it, too.
    const late = nextCustodyEntry(third, { at: '2026-03-14T09:00:00.000Z', actor: 'a@b', action: 'receive', subject: 'bundle' });
    expect(late.at).toBe(third.at);
  });

  it('appendCustody stamps entries from the clock, after the seal', async () => {
    const folder = join(workspace.root, 'appended');
    await writeBundleWith(folder, {});
    await appendCustody(folder, { actor: 'x@y', action: 'export', subject: 'report.html' });
    const times = (await readCustody(folder)).map((entry) => Date.parse(entry.at));
    expect(times).toHaveLength(3);
    expect([...times].sort((left, right) => left - right)).toEqual(times);
  });

  it('flags a chain whose times go backwards with BUNDLE_CUSTODY_TIME_REVERSED, as a warning', () => {
    const first = nextCustodyEntry(undefined, { ...seal, at: '2026-03-14T14:14:40.943Z' });
    // Built by hand as the old writer did: entry 2 carries an earlier time than entry 1.
    const body = { seq: 2, at: '2026-03-14T14:14:39.808Z', actor: 'a@b', action: 'collected-by', subject: 'clone', prev: first.hash };
    const second: CustodyEntry = { ...body, hash: custodyEntryHash(body) };
    const check = checkCustody(Buffer.from(custodyLine(first) + custodyLine(second)), manifestSha256);
    expect(check.problems).toEqual([]);
    expect(check.warnings.map((warning) => [warning.code, warning.subject])).toEqual([['BUNDLE_CUSTODY_TIME_REVERSED', 'custody.jsonl#2']]);
    expect(check.warnings[0]?.message).toContain('14:14:39.808');
  });

  it('shows the shipped sample (made by the old writer, entry 1 after entry 2) as verified with the warning', async () => {
    const shipped = await openBundle(SAMPLE_ARCHIVE);
    await shipped.close();
    expect(shipped.integrity.verified).toBe(true);
    expect(shipped.integrity.warnings?.map((warning) => warning.code)).toEqual(['BUNDLE_CUSTODY_TIME_REVERSED']);
    const io = captureIo();
    expect(await verifyCommand([SAMPLE_ARCHIVE], io)).toBe(0);
    expect(io.stdout()).toMatch(/WARN +custody\.jsonl#2 +BUNDLE_CUSTODY_TIME_REVERSED/);
  });
});
