import type { CaptureOverview } from '../../../../preload/api';
import { ErrorBanner } from '../../components/error-banner';
import { formatTime } from '../../components/format';

/** Integrity and provenance in full: every command with argv, exit code and times, and the custody log. */
export function ProvenanceView({ overview }: { overview: CaptureOverview }) {
  const { provenance, integrity } = overview;
  return (
    <div className="provenance-view" data-testid="provenance-view">
      <h4 className="subheading">Integrity</h4>
      {integrity.verified ? (
        <p>
          Verified: {integrity.artifactsChecked} artifacts, {integrity.bytesChecked} bytes hashed, custody chain of {integrity.custodyEntries} entries intact.
        </p>
      ) : (
        <ul className="integrity-problems">
          {integrity.problems.map((problem, index) => (
            <li key={index}>
              <ErrorBanner error={problem} />
            </li>
          ))}
        </ul>
      )}
      <dl className="field-list">
        <dt>Capture id</dt>
        <dd className="mono">{provenance.captureId}</dd>
        <dt>Host</dt>
        <dd>{provenance.host.name}</dd>
        <dt>Host key</dt>
        <dd className="mono break">{provenance.host.hostKeySha256}</dd>
        <dt>VM</dt>
        <dd>
          {provenance.vm.name} <span className="mono muted">{provenance.vm.uuid}</span>
        </dd>
        <dt>Clone</dt>
        <dd className="mono">{provenance.cloneId}</dd>
        <dt>Captured</dt>
        <dd className="mono">
          {formatTime(provenance.startedAt)} → {formatTime(provenance.endedAt)}
        </dd>
        <dt>Versions</dt>
        <dd className="mono">
          helper {provenance.helperVersion}, tool {provenance.toolVersion}, schema {provenance.schemaVersion}
        </dd>
      </dl>
      <h4 className="subheading">Commands run ({provenance.commands.length})</h4>
      <table className="data-table mono" data-testid="commands-table">
        <thead>
          <tr>
            <th>argv</th>
            <th>Exit</th>
            <th>Started</th>
            <th>Ended</th>
          </tr>
        </thead>
        <tbody>
          {provenance.commands.map((command, index) => (
            <tr key={index}>
              <td className="break">
                {/* One box per argument, so an argument holding spaces still reads as one. */}
                {command.argv.map((argument, position) => (
                  <span key={position}>
                    {position > 0 ? ' ' : ''}
                    <span className="argv-word">{argument}</span>
                  </span>
                ))}
              </td>
              <td className={command.exitCode === 0 ? '' : 'text-danger'}>{command.exitCode ?? '—'}</td>
              <td>{formatTime(command.startedAt)}</td>
              <td>{formatTime(command.endedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4 className="subheading">Custody log ({provenance.custody.length})</h4>
      <table className="data-table mono">
        <thead>
          <tr>
            <th>#</th>
            <th>At</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Subject</th>
            <th>Hash</th>
          </tr>
        </thead>
        <tbody>
          {provenance.custody.map((entry) => (
            <tr key={entry.seq}>
              <td>{entry.seq}</td>
              <td>{formatTime(entry.at)}</td>
              <td>{entry.actor}</td>
              <td>{entry.action}</td>
              <td className="break">{entry.subject}</td>
              <td title={entry.hash}>{entry.hash.slice(0, 12)}…</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
