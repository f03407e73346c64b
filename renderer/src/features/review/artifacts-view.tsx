import { useState } from 'react';
import type { ArtifactRecord, ArtifactView } from '../../../../preload/api';

const dumpRoles = new Set(['memory-dump', 'core-dump']);

/** The capture's artifacts; text shows escaped with a search, binaries as hex; dumps are listed only. */
export function ArtifactsView({
  artifacts,
  view,
  onOpen,
}: {
  artifacts: readonly ArtifactRecord[];
  view: ArtifactView | null;
  onOpen: (path: string, offset?: number) => void;
}) {
  const [search, setSearch] = useState('');
  const lines = view ? view.text.split('\n') : [];
  const needle = search.toLowerCase();
  const shown = needle === '' ? lines : lines.filter((line) => line.toLowerCase().includes(needle));
  return (
    <div className="artifacts-view" data-testid="artifacts-view">
      <table className="data-table mono">
        <thead>
          <tr>
            <th>Path</th>
            <th>Role</th>
            <th>Type</th>
            <th>Size</th>
            <th>SHA-256</th>
          </tr>
        </thead>
        <tbody>
          {artifacts.map((artifact) => (
            <tr key={artifact.path}>
              <td>
                {artifact.role !== undefined && dumpRoles.has(artifact.role) ? (
                  <span title="Dumps stay in the capture; analyse them with a debugger">{artifact.path}</span>
                ) : (
                  <button type="button" className="link-button" data-testid="artifact-open" onClick={() => onOpen(artifact.path)}>
                    {artifact.path}
                  </button>
                )}
              </td>
              <td>{artifact.role ?? '—'}</td>
              <td>{artifact.mediaType}</td>
              <td>{artifact.size}</td>
              <td title={artifact.sha256}>{artifact.sha256.slice(0, 16)}…</td>
            </tr>
          ))}
        </tbody>
      </table>
      {view ? (
        <section className="artifact-viewer">
          <div className="toolbar">
            <strong className="mono">{view.path}</strong>
            <span className="muted">
              {view.kind === 'hex' ? 'hex' : 'text'} · bytes {view.offset}–{view.offset + (view.truncated ? 65_536 : view.size - view.offset)} of {view.size}
            </span>
            {view.kind === 'text' ? (
              <input className="input input-small" type="search" placeholder="Find in text" aria-label="Find in artifact" value={search} onChange={(event) => setSearch(event.target.value)} />
            ) : null}
            {view.truncated ? (
              <button type="button" className="button button-small" onClick={() => onOpen(view.path, view.offset + 65_536)}>
                Next 64 KiB
              </button>
            ) : null}
          </div>
          <pre className="artifact-text" data-testid="artifact-text">
            {shown.join('\n')}
          </pre>
        </section>
      ) : null}
    </div>
  );
}
