import type { FindingsDocument, StoredProcess, StoredSocket, SystemDocument } from '../bundle/bundle-schema';
import { anomalyRules, type AnomalyRule } from './anomaly-rules';
import { createDetectorContext } from './detector-context';

const severityOrder = { critical: 0, high: 1, medium: 2, low: 3, info: 4 } as const;

/**
 * Runs the anomaly rules over a capture's processes, sockets and (when collected) system document
 * and returns the findings document.
 *
 * Deterministic: the same input gives the same findings with the same ids, so a capture can be
 * re-analysed and compared.
 */
export function detectAnomalies(
  input: {
    readonly processes: readonly StoredProcess[];
    readonly sockets: readonly StoredSocket[];
    readonly system?: SystemDocument | null;
    readonly generatedAt: string;
  },
  rules: readonly AnomalyRule[] = anomalyRules,
): FindingsDocument {
  const context = createDetectorContext(input.processes, input.sockets, input.system ?? null);
  const drafts = rules.flatMap((rule, ruleIndex) => rule.detect(context).map((draft) => ({ draft, ruleIndex })));
  drafts.sort(
    (a, b) =>
      severityOrder[a.draft.severity] - severityOrder[b.draft.severity] ||
      a.ruleIndex - b.ruleIndex ||
      (a.draft.pids[0] ?? 0) - (b.draft.pids[0] ?? 0),
  );
  return {
    schemaVersion: 1,
    generatedAt: input.generatedAt,
    findings: drafts.map(({ draft }, index) => ({ id: `F-${String(index + 1).padStart(3, '0')}`, ...draft })),
  };
}
