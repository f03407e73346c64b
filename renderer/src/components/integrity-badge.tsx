import type { IntegrityReport } from '../../../preload/api';

/** The artifacts named by integrity problems, each once. */
export function failedSubjects(integrity: IntegrityReport): readonly string[] {
  return [...new Set(integrity.problems.map((problem) => problem.subject ?? problem.code))];
}

/** Verified, or failed with the artifacts that failed. */
export function IntegrityBadge({ integrity }: { integrity: IntegrityReport }) {
  if (integrity.verified) {
    return (
      <span className="badge badge-ok integrity-badge" data-testid="integrity-badge" data-verified="true">
        <span aria-hidden="true">✔</span> Verified · {integrity.artifactsChecked} artifacts ·{' '}
        {integrity.custodyEntries} custody entries
      </span>
    );
  }
  const subjects = failedSubjects(integrity);
  return (
    <span className="badge badge-danger integrity-badge" data-testid="integrity-badge" data-verified="false">
      <span aria-hidden="true">✖</span> Integrity failed: {subjects.length === 0 ? 'unknown artifact' : subjects.join(', ')}
    </span>
  );
}
