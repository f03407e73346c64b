import { describe, expect, it } from 'vitest';
import { countBySeverity, sortFindings } from '../../../../../renderer/src/store/logic/findings-order';
import { sampleFindings } from '../../support/sample-capture';

describe('sortFindings', () => {
  it('puts the worst severity first without changing the input', () => {
    const sorted = sortFindings(sampleFindings);
    expect(sorted.map((finding) => finding.severity)).toEqual(['critical', 'high']);
    expect(sampleFindings[0]?.severity).toBe('high');
  });
});

describe('countBySeverity', () => {
  it('counts each severity', () => {
    expect(countBySeverity(sampleFindings)).toEqual({ critical: 1, high: 1, medium: 0, low: 0, info: 0 });
  });
});
