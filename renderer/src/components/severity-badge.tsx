import type { Severity } from '../../../preload/api';

/** A finding's severity as a coloured tag. */
export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span className={`severity severity-${severity}`}>{severity}</span>;
}
