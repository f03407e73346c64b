import type { Finding, ProcessRow } from '../../../../preload/api';
import { formatCpuSeconds, formatKiB, formatTime } from '../../components/format';
import { GuestTextView } from '../../components/guest-text-view';
import { SeverityBadge } from '../../components/severity-badge';

/** Every field of the selected process, its argv and the findings about it. */
export function ProcessDetail({
  process,
  findings,
  onClose,
  onSelectParent,
}: {
  process: ProcessRow;
  findings: readonly Finding[];
  onClose: () => void;
  onSelectParent: (pid: number) => void;
}) {
  return (
    <section className="panel process-detail" data-testid="process-detail" aria-labelledby="process-detail-title">
      <header className="panel-header">
        <h3 id="process-detail-title" className="panel-title">
          <GuestTextView value={process.name} /> <span className="muted">pid {process.pid}</span>
        </h3>
        <button type="button" className="button button-quiet button-small" onClick={onClose} aria-label="Close process detail">
          ✕
        </button>
      </header>
      <dl className="field-list">
        <dt>PID</dt>
        <dd className="mono">{process.pid}</dd>
        <dt>Parent</dt>
        <dd className="mono">
          <button type="button" className="link-button" onClick={() => onSelectParent(process.ppid)}>
            {process.ppid}
          </button>
        </dd>
        <dt>User</dt>
        <dd>
          {process.user} <span className="muted">(uid {process.uid})</span>
        </dd>
        <dt>State</dt>
        <dd className="mono">{process.state}</dd>
        <dt>Threads</dt>
        <dd className="mono">{process.threads}</dd>
        <dt>RSS</dt>
        <dd className="mono">{formatKiB(process.rssKiB)}</dd>
        <dt>CPU time</dt>
        <dd className="mono">{formatCpuSeconds(process.cpuSeconds)}</dd>
        <dt>Started</dt>
        <dd className="mono">{formatTime(process.startedAt)}</dd>
        <dt>Executable</dt>
        <dd className="mono break">
          <GuestTextView value={process.exe} />
          {process.exeDeleted ? <span className="badge badge-danger badge-small">deleted from disk</span> : null}
        </dd>
        <dt>Flags</dt>
        <dd>
          {process.flags.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            process.flags.map((flag) => (
              <span key={flag} className="badge badge-flag badge-small">
                {flag}
              </span>
            ))
          )}
        </dd>
      </dl>
      <h4 className="subheading">Arguments ({process.argv.length})</h4>
      {process.argv.length === 0 ? (
        <p className="muted">No arguments (a kernel thread, or the process hid them).</p>
      ) : (
        <ol className="argv-list" start={0}>
          {process.argv.map((argument, index) => (
            <li key={index} className="mono break">
              <GuestTextView value={argument} />
            </li>
          ))}
        </ol>
      )}
      {findings.length > 0 ? (
        <>
          <h4 className="subheading">Findings about this process</h4>
          <ul className="plain-list">
            {findings.map((finding) => (
              <li key={finding.id}>
                <SeverityBadge severity={finding.severity} /> {finding.title}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
