import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../../main/bundle/canonical-json';
import { GENESIS_HASH, checkCustody, custodyEntryHash, custodyLine, nextCustodyEntry } from '../../../../main/bundle/custody';

const manifestSha256 = 'a'.repeat(64);
const seal = { at: '2026-03-14T09:29:41.000Z', actor: 'civic-helper@kvm-lab-01', action: 'seal-manifest', subject: 'manifest.json', sha256: manifestSha256 };

describe('canonicalJson', () => {
  it('sorts keys, drops undefined, adds no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, d: { z: 'é', y: '\u0001' } })).toBe(
      '{"a":[true,null,"x"],"b":1,"d":{"y":"\\u0001","z":"é"}}',
    );
  });

  it('refuses numbers that print differently across languages', () => {
    expect(() => canonicalJson({ a: 1.5 })).toThrow(RangeError);
  });
});

describe('custody entries', () => {
  it('hashes entry 1 to the documented test vector', () => {
    // Also computed with Python: json.dumps(entry, sort_keys=True, separators=(',', ':'), ensure_ascii=False).
    const entry = nextCustodyEntry(undefined, seal);
    expect(entry.prev).toBe(GENESIS_HASH);
    expect(entry.seq).toBe(1);
    expect(entry.hash).toBe('5e1b7821b39cb57008e732418ee5ec945a0dfdae80667a74df61a5f03349887c');
    expect(custodyEntryHash(entry)).toBe(entry.hash);
  });

  it('chains each entry to the one before', () => {
    const first = nextCustodyEntry(undefined, seal);
    const second = nextCustodyEntry(first, { at: '2026-03-14T09:30:00.000Z', actor: 'analyst', action: 'receive', subject: 'bundle' });
    expect(second).toMatchObject({ seq: 2, prev: first.hash });
    const log = Buffer.from(custodyLine(first) + custodyLine(second));
    expect(checkCustody(log, manifestSha256)).toEqual({ entries: [first, second], problems: [], warnings: [] });
  });

  it('refuses a log sealed to another manifest', () => {
    const log = Buffer.from(custodyLine(nextCustodyEntry(undefined, seal)));
    expect(checkCustody(log, 'b'.repeat(64)).problems).toEqual([
      expect.objectContaining({ code: 'BUNDLE_CUSTODY_BROKEN', subject: 'custody.jsonl#1' }),
    ]);
  });

  it('refuses an empty log, a non-JSON line and a deep line', () => {
    const first = custodyLine(nextCustodyEntry(undefined, seal));
    expect(checkCustody(Buffer.alloc(0), manifestSha256).problems[0]?.subject).toBe('custody.jsonl#1');
    expect(checkCustody(Buffer.from(first + 'not json\n'), manifestSha256).problems[0]?.subject).toBe('custody.jsonl#2');
    expect(checkCustody(Buffer.from(first + '['.repeat(2000) + '\n'), manifestSha256).problems[0]?.subject).toBe('custody.jsonl#2');
  });
});
