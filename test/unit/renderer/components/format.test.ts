import { describe, expect, it } from 'vitest';
import { formatCpuSeconds, formatKiB, formatShortTime, formatTime } from '../../../../renderer/src/components/format';

describe('formatters', () => {
  it('scale KiB to MiB and GiB', () => {
    expect(formatKiB(512)).toBe('512 KiB');
    expect(formatKiB(2048)).toBe('2.0 MiB');
    expect(formatKiB(3 * 1024 * 1024)).toBe('3.00 GiB');
  });

  it('show CPU seconds, then h:mm:ss from a minute on', () => {
    expect(formatCpuSeconds(1.25)).toBe('1.3 s');
    expect(formatCpuSeconds(5400)).toBe('1:30:00');
    expect(formatCpuSeconds(98412)).toBe('27:20:12');
  });

  it('show times in UTC, and unparseable or missing times as they are', () => {
    expect(formatTime('2026-11-26T10:03:04.500+01:00')).toBe('2026-11-26 09:03:04 UTC');
    expect(formatShortTime('2026-11-26T09:03:04Z')).toBe('11-26 09:03:04');
    expect(formatTime('yesterday')).toBe('yesterday');
    expect(formatTime(null)).toBe('—');
    expect(formatShortTime(null)).toBe('—');
  });
});
