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
