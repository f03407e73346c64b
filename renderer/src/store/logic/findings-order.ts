import type { Finding, Severity } from '../../../../preload/api';

/** Severities, worst first. */
export const severityOrder: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Findings worst first; within a severity by title, then id, so the order is stable. */
export function sortFindings(findings: readonly Finding[]): readonly Finding[] {
  const rank = (severity: Severity): number => severityOrder.indexOf(severity);
  return [...findings].sort(
    (a, b) => rank(a.severity) - rank(b.severity) || a.title.localeCompare(b.title) || a.id.localeCompare(b.id),
  );
}

/** How many findings each severity has. */
export function countBySeverity(findings: readonly Finding[]): Readonly<Record<Severity, number>> {
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
}

/** How the findings list groups its items. */
export type FindingGrouping = 'severity' | 'rule' | 'process';

/** A group of findings with its heading. */
export interface FindingGroup {
  readonly key: string;
  readonly label: string;
  readonly findings: readonly Finding[];
}

/**
 * Groups findings (already worst first) by severity, rule or process; a finding about several
 * processes shows under each. By severity there is one group, as the list is already in that order.
 */
export function groupFindings(findings: readonly Finding[], grouping: FindingGrouping): readonly FindingGroup[] {
  if (grouping === 'severity') return [{ key: 'all', label: 'All findings', findings }];
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const keys = grouping === 'rule' ? [finding.rule] : finding.pids.length === 0 ? ['none'] : finding.pids.map(String);
    for (const key of keys) {
      const list = groups.get(key) ?? [];
      list.push(finding);
      groups.set(key, list);
    }
  }
  return [...groups.entries()].map(([key, list]) => ({
    key,
    label: grouping === 'rule' ? `Rule ${key}` : key === 'none' ? 'No process' : `pid ${key}`,
    findings: list,
  }));
}
