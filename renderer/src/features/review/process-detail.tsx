import type { ProcessDetailRecord } from '../../../../preload/api';
import { formatCpuSeconds, formatKiB, formatTime } from '../../components/format';
import { GuestTextView } from '../../components/guest-text-view';
import { SeverityBadge } from '../../components/severity-badge';

function FieldRow({ label, value }: { label: string; value: ProcessDetailRecord['fields'][number]['value'] }) {
  return (
    <>
      <dt>{label}</dt>
      <dd className="mono break">
        <GuestTextView value={value} />
      </dd>
    </>
  );
}

/** Every field of the selected process: argv, environment (secrets hidden), sockets, findings, and what was not collected. */
export function ProcessDetail({
  detail,
  revealSecrets,
  onClose,
  onSelectProcess,
  onRevealSecrets,
  onOpenArtifact,
}: {
  detail: ProcessDetailRecord;
  /** The reveal switch as the user set it (the detail follows once main answers). */
  revealSecrets: boolean;
  onClose: () => void;
  onSelectProcess: (pid: number) => void;
  onRevealSecrets: (reveal: boolean) => void;
  onOpenArtifact: (path: string) => void;
}) {
  const { process } = detail;
  const hiddenSecrets = detail.environment?.some((entry) => entry.redacted) ?? false;
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
          <button type="button" className="link-button" onClick={() => onSelectProcess(process.ppid)}>
            {process.ppid}
          </button>
        </dd>
        <dt>Ancestry</dt>
        <dd className="mono">{detail.ancestors.length === 0 ? <span className="muted">root</span> : detail.ancestors.join(' › ')}</dd>
        <dt>Children</dt>
        <dd className="mono">{detail.childCount}</dd>
        <dt>User</dt>
        <dd>
          {process.user} <span className="muted">(uid {process.uid})</span>
        </dd>
        <dt>State</dt>
        <dd className="mono">
          {process.state}
          {detail.kernelThread ? <span className="muted"> · kernel thread</span> : null}
        </dd>
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
        <dt>Working dir</dt>
        <dd className="mono break">{detail.cwd ? <GuestTextView value={detail.cwd} /> : <span className="muted">not collected</span>}</dd>
        {detail.fields.map((field) => (
          <FieldRow key={field.label} label={field.label} value={field.value} />
        ))}
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
        <ol className="argv-list" start={0} data-testid="detail-argv">
          {process.argv.map((argument, index) => (
            <li key={index} className="mono break">
              <GuestTextView value={argument} />
            </li>
          ))}
        </ol>
      )}
      <h4 className="subheading">
        Environment
        {hiddenSecrets || detail.secretsRevealed || revealSecrets ? (
          <label className="checkbox reveal-toggle">
            <input type="checkbox" data-testid="reveal-secrets" checked={revealSecrets} onChange={(event) => onRevealSecrets(event.target.checked)} />
            Reveal secrets
          </label>
        ) : null}
      </h4>
      {detail.environment === null ? (
        <p className="muted">Not collected.</p>
      ) : detail.environment.length === 0 ? (
        <p className="muted">Empty.</p>
      ) : (
        <dl className="env-list mono" data-testid="detail-environment">
          {detail.environment.map((entry, index) => (
            <div key={index} className="env-entry">
              <dt className="break">
                <GuestTextView value={entry.name} />
              </dt>
              <dd className={entry.redacted ? 'break redacted' : 'break'}>
                <GuestTextView value={entry.value} />
              </dd>
            </div>
          ))}
        </dl>
      )}
      <h4 className="subheading">Anonymous executable mappings</h4>
      {detail.executableMappings === null ? (
        <p className="muted">Not collected.</p>
      ) : detail.executableMappings.length === 0 ? (
        <p className="muted">None: every executable mapping has a file behind it.</p>
      ) : (
        <ul className="plain-list mono" data-testid="detail-mappings">
          {detail.executableMappings.map((mapping) => (
            <li key={mapping.range} className="break">
              {mapping.range} {mapping.permissions} <GuestTextView value={mapping.name} />
            </li>
          ))}
        </ul>
      )}
      <h4 className="subheading">Sockets ({detail.sockets.length})</h4>
      {detail.sockets.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul className="plain-list mono">
          {detail.sockets.map((socket, index) => (
            <li key={index}>
              {socket.protocol} {socket.state} <GuestTextView value={socket.localAddress} />
              {socket.localPort === null ? '' : `:${socket.localPort}`}
              {socket.remoteAddress ? (
                <>
                  {' → '}
                  <GuestTextView value={socket.remoteAddress} />
                  {socket.remotePort === null ? '' : `:${socket.remotePort}`}
                </>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      <h4 className="subheading">Findings about this process</h4>
      {detail.findings.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul className="plain-list" data-testid="detail-findings">
          {detail.findings.map((finding) => (
            <li key={finding.id}>
              <SeverityBadge severity={finding.severity} /> {finding.title}
            </li>
          ))}
        </ul>
      )}
      <h4 className="subheading">Other evidence</h4>
      <ul className="plain-list">
        {detail.artifacts.map((artifact) => (
          <li key={artifact.path} className="mono" data-testid="detail-artifact">
            {artifact.role ?? 'artifact'}:{' '}
            {artifact.role === 'core-dump' ? (
              <>
                {artifact.path} <span className="muted">({artifact.size} bytes, kept in the capture for a debugger)</span>
              </>
            ) : (
              <button type="button" className="link-button" onClick={() => onOpenArtifact(artifact.path)}>
                {artifact.path}
              </button>
            )}
          </li>
        ))}
        {detail.notCollected.map((kind) => (
          <li key={kind}>
            {kind}: <span className="muted">not collected</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
