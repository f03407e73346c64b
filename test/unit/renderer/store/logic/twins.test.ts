import { describe, expect, it } from 'vitest';
import {
  applyTwinsChanged,
  experimentTargetOf,
  formatAge,
  formatClock,
  formatCountdown,
  secondsLeftAt,
  withForwardOpened,
  withTwinReplaced,
  withoutTwin,
} from '../../../../../renderer/src/store/logic/twins';
import { sampleTwin } from '../../support/sample-twins';

const noon = Date.parse('2026-06-01T12:00:00.000Z');

describe('applyTwinsChanged', () => {
  it("replaces the host's whole list and leaves other hosts alone", () => {
    const before = { 'app:1': [sampleTwin(), sampleTwin({ twinId: 'twin-2' })], 'app:2': [sampleTwin({ hostId: 'app:2' })] };
    const after = applyTwinsChanged(before, { hostId: 'app:1', twins: [sampleTwin({ twinId: 'twin-3' })] });
    expect(after['app:1']?.map((twin) => twin.twinId)).toEqual(['twin-3']);
    expect(after['app:2']).toBe(before['app:2']);
  });

  it('empties the list when the host has no twins left', () => {
    expect(applyTwinsChanged({ 'app:1': [sampleTwin()] }, { hostId: 'app:1', twins: [] })['app:1']).toEqual([]);
  });
});

describe('single-twin updates', () => {
  it("replaces a renewed twin's summary in place", () => {
    const renewed = sampleTwin({ expiresAt: '2026-06-01T13:00:00.000Z' });
    const after = withTwinReplaced({ 'app:1': [sampleTwin(), sampleTwin({ twinId: 'twin-2' })] }, renewed);
    expect(after['app:1']?.map((twin) => twin.expiresAt)).toEqual(['2026-06-01T13:00:00.000Z', '2026-06-01T12:30:00.000Z']);
  });

  it('drops a destroyed twin and gives an opened forward its local URL', () => {
    expect(withoutTwin({ 'app:1': [sampleTwin()] }, 'app:1', 'twin-1')['app:1']).toEqual([]);
    const opened = withForwardOpened({ 'app:1': [sampleTwin()] }, 'app:1', 'twin-1', { guestPort: 8080, guestAddress: '10.0.2.15', hostPort: 41234, localUrl: 'http://127.0.0.1:5000/' });
    expect(opened['app:1']?.[0]?.forwards[0]?.localUrl).toBe('http://127.0.0.1:5000/');
  });
});

describe('countdown', () => {
  it('counts down from expiresAt, not from the snapshot', () => {
    const twin = sampleTwin({ secondsLeft: 1800 });
    expect(secondsLeftAt(twin, noon + 61_500)).toBe(1738);
    expect(secondsLeftAt(twin, noon + 40 * 60_000)).toBe(0);
  });

  it('keeps the snapshot figure when expiresAt cannot be read', () => {
    expect(secondsLeftAt({ expiresAt: 'soon', secondsLeft: 42.7 }, noon)).toBe(42);
  });

  it('formats m:ss under an hour and h:mm:ss from an hour up', () => {
    expect(formatCountdown(0)).toBe('0:00');
    expect(formatCountdown(-5)).toBe('0:00');
    expect(formatCountdown(9)).toBe('0:09');
    expect(formatCountdown(1738)).toBe('28:58');
    expect(formatCountdown(3600)).toBe('1:00:00');
    expect(formatCountdown(86_399)).toBe('23:59:59');
  });

  it('formats ages and the clock time a twin ends', () => {
    expect(formatAge('2026-06-01T12:00:00.000Z', noon + 45_000)).toBe('45 s');
    expect(formatAge('2026-06-01T12:00:00.000Z', noon + 12 * 60_000)).toBe('12 min');
    expect(formatAge('2026-06-01T12:00:00.000Z', noon + 125 * 60_000)).toBe('2 h 05 min');
    expect(formatAge('never', noon)).toBe('—');
    expect(formatClock('2026-06-01T12:30:00.000Z')).toBe('12:30 UTC');
  });
});

describe('experimentTargetOf', () => {
  const twins = { 'app:1': [sampleTwin({ state: 'expired' }), sampleTwin({ twinId: 'twin-2' })] };

  it('keeps the chosen live twin, else takes the first live one of a connected host', () => {
    expect(experimentTargetOf({ hostId: 'app:1', twinId: 'twin-2' }, ['app:1'], twins, false)).toEqual({ hostId: 'app:1', twinId: 'twin-2' });
    expect(experimentTargetOf({ hostId: 'app:1', twinId: 'twin-1' }, ['app:1'], twins, false)).toEqual({ hostId: 'app:1', twinId: 'twin-2' });
    expect(experimentTargetOf(null, [], twins, false)).toBeNull();
  });

  it('keeps the chosen twin while an experiment runs on it', () => {
    expect(experimentTargetOf({ hostId: 'app:1', twinId: 'twin-1' }, ['app:1'], twins, true)).toEqual({ hostId: 'app:1', twinId: 'twin-1' });
  });
});
