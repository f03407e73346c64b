import { useState, type ReactNode } from 'react';
import type { CaptureDiff, DiffList, ProcessRow, SocketRecord } from '../../../../preload/api';
import { GuestTextView } from '../../components/guest-text-view';
import { SeverityBadge } from '../../components/severity-badge';

/** Compare the open capture with another: processes, sockets, modules and findings added, removed, changed. */
export function CompareView({
  diff,
  comparing,
  onCompare,
  onClear,
}: {
  diff: CaptureDiff | null;
  comparing: boolean;
  onCompare: (path: string) => void;
  onClear: () => void;
}) {
  const [path, setPath] = useState('');
  return (
    <div className="compare-view" data-testid="compare-view">
      <form
        className="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          if (path.trim() !== '') onCompare(path.trim());
        }}
      >
        <input className="input input-mono" data-testid="compare-path" placeholder="Path of a later capture (folder or .civic)" aria-label="Capture to compare with" value={path} onChange={(event) => setPath(event.target.value)} />
        <button type="submit" className="button button-primary button-small" data-testid="compare-submit" disabled={comparing}>
          {comparing ? 'Comparing…' : 'Compare'}
        </button>
        {diff ? (
          <button type="button" className="button button-small" onClick={onClear}>
            Clear
          </button>
        ) : null}
      </form>
      {diff ? (
        <div data-testid="diff-result">
          <p className="muted">
            Before: {diff.before.title} · After: {diff.after.title}
          </p>
          <DiffSection title="Processes" list={diff.processes} render={(process: ProcessRow) => <ProcessLine process={process} />} testId="diff-process" />
          {diff.processes.changedCount > 0 ? (
            <section>
              <h4 className="subheading">Processes changed ({diff.processes.changedCount})</h4>
              <ul className="plain-list mono">
                {diff.processes.changed.slice(0, 500).map((change) => (
                  <li key={change.after.pid}>
                    <ProcessLine process={change.after} /> <span className="muted">({change.fields.join(', ')})</span>
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
          <DiffSection title="Sockets" list={diff.sockets} render={(socket: SocketRecord) => <SocketLine socket={socket} />} testId="diff-socket" />
          <DiffSection title={diff.modulesKind === 'kernel-modules' ? 'Kernel modules' : 'Modules (executables)'} list={diff.modules} render={(module) => <GuestTextView value={module} />} testId="diff-module" />
          <DiffSection
            title="Findings"
            list={diff.findings}
            render={(finding) => (
              <>
                <SeverityBadge severity={finding.severity} /> {finding.title}
              </>
            )}
            testId="diff-finding"
          />
        </div>
      ) : null}
    </div>
  );
}

function ProcessLine({ process }: { process: ProcessRow }) {
  return (
    <span data-pid={process.pid}>
      {process.pid} <GuestTextView value={process.name} /> <span className="muted">({process.user})</span>
    </span>
  );
}

function SocketLine({ socket }: { socket: SocketRecord }) {
  return (
    <span data-port={socket.localPort ?? ''}>
      {socket.protocol} {socket.state} <GuestTextView value={socket.localAddress} />
      {socket.localPort === null ? '' : `:${socket.localPort}`}
      {socket.remoteAddress ? (
        <>
          {' → '}
          <GuestTextView value={socket.remoteAddress} />
          {socket.remotePort === null ? '' : `:${socket.remotePort}`}
        </>
      ) : null}
      {socket.pid === null ? '' : ` pid ${socket.pid}`}
    </span>
  );
}

function DiffSection<T>({ title, list, render, testId }: { title: string; list: DiffList<T>; render: (item: T) => ReactNode; testId: string }) {
  return (
    <section>
      <h4 className="subheading">
        {title}: <span className="diff-added">+{list.addedCount}</span> <span className="diff-removed">−{list.removedCount}</span>
      </h4>
      <ul className="plain-list mono">
        {list.added.slice(0, 500).map((item, index) => (
          <li key={`a${index}`} className="diff-added" data-testid={`${testId}-added`}>
            + {render(item)}
          </li>
        ))}
        {list.removed.slice(0, 500).map((item, index) => (
          <li key={`r${index}`} className="diff-removed" data-testid={`${testId}-removed`}>
            − {render(item)}
          </li>
        ))}
      </ul>
    </section>
  );
}
