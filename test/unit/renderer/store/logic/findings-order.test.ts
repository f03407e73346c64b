import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../../../preload/api';
import { countBySeverity, groupFindings, sortFindings } from '../../../../../renderer/src/store/logic/findings-order';
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

describe('groupFindings', () => {
  it('groups by rule and by process, a finding under each of its processes', () => {
    const findings = sortFindings(sampleFindings);
    expect(groupFindings(findings, 'severity')).toHaveLength(1);
    const byRule = groupFindings(findings, 'rule');
    expect(byRule.map((group) => group.label).sort()).toEqual(['Rule deleted-exe', 'Rule masquerade']);
    const byProcess = groupFindings([...findings, { ...(findings[0] as Finding), id: 'f-3', pids: [1, 2] }], 'process');
    expect(byProcess.map((group) => group.key)).toEqual(['1337', '1', '2']);
  });
});
