import type { ComponentProps } from 'react';
import type { Finding, FindingTriage, ProcessDetailRecord } from '../../../../preload/api';
import { FindingsPanel } from './findings-panel';
import { ProcessDetail } from './process-detail';
import { ProcessTable } from './process-table';
import { ProcessToolbar, type ProcessToolbarProps } from './process-toolbar';

/** What the Processes tab shows: the toolbar and table, the selected process's detail, the findings. */
export interface ProcessesTabProps {
  readonly toolbar: ProcessToolbarProps;
  readonly table: ComponentProps<typeof ProcessTable>;
  /** The detail of the selected process, or null for the hint to select one. */
  readonly detail: Omit<ComponentProps<typeof ProcessDetail>, 'detail'> & { readonly detail: ProcessDetailRecord | null };
  readonly findings: readonly Finding[];
  readonly triage: readonly FindingTriage[];
  readonly selectedPid: number | null;
  readonly onSelectFinding: (finding: Finding) => void;
}

/** The Processes tab: the process tree-table with its toolbar, and beside it the detail and findings. */
export function ProcessesTab({ toolbar, table, detail, findings, triage, selectedPid, onSelectFinding }: ProcessesTabProps) {
  return (
    <div className="review-body">
      <section className="review-processes" aria-label="Process tree">
        <ProcessToolbar {...toolbar} />
        <ProcessTable {...table} />
      </section>
      <aside className="review-side">
        {detail.detail ? (
          <ProcessDetail {...detail} detail={detail.detail} />
        ) : (
          <section className="panel panel-hint">
            <p className="muted">Select a process to see every field, its environment and its sockets.</p>
          </section>
        )}
        <FindingsPanel findings={findings} triage={triage} selectedPid={selectedPid} onSelect={onSelectFinding} />
      </aside>
    </div>
  );
}
