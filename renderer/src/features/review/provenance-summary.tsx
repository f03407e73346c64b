import type { Provenance } from '../../../../preload/api';
import { formatTime } from '../../components/format';

/** Where the capture came from, in one dense strip. */
export function ProvenanceSummary({ provenance }: { provenance: Provenance }) {
  return (
    <dl className="provenance" aria-label="Provenance">
      <div>
        <dt>Host</dt>
        <dd>{provenance.host.name}</dd>
      </div>
      <div>
        <dt>Host key</dt>
        <dd className="mono" title={provenance.host.hostKeySha256}>
          {provenance.host.hostKeySha256}
        </dd>
      </div>
      <div>
        <dt>VM</dt>
        <dd>
          {provenance.vm.name} <span className="muted mono">{provenance.vm.uuid}</span>
        </dd>
      </div>
      <div>
        <dt>Clone</dt>
        <dd className="mono">{provenance.cloneId}</dd>
      </div>
      <div>
        <dt>Captured</dt>
        <dd className="mono">
          {formatTime(provenance.startedAt)} → {formatTime(provenance.endedAt).replace(' UTC', '')}
        </dd>
      </div>
      <div>
        <dt>Commands</dt>
        <dd className="mono">{provenance.commands.length}</dd>
      </div>
      <div>
        <dt>Helper</dt>
        <dd className="mono">
          {provenance.helperVersion} <span className="muted">(tool {provenance.toolVersion})</span>
        </dd>
      </div>
    </dl>
  );
}
