import { ErrorBanner } from '../../components/error-banner';
import { moveFocusInList } from '../../components/list-keyboard';
import { useWorkbench } from '../../store/store-context';

/** The KVM hosts the workbench knows, from ~/.ssh/config and its own list. */
export function HostsContainer() {
  const hosts = useWorkbench((state) => state.hosts);
  const loaded = useWorkbench((state) => state.hostsLoaded);
  const error = useWorkbench((state) => state.hostsError);
  const sessionStates = useWorkbench((state) => state.sessionStates);
  return (
    <div className="hosts">
      <section className="panel notice">
        <h3 className="panel-title">Connect to a KVM host over SSH</h3>
        <p>
          Connecting is coming next: the workbench will verify each host key against your known_hosts,
          deploy its small helper, and list the running VMs you can clone. Until then this list shows the
          hosts it found.
        </p>
      </section>
      {error ? <ErrorBanner error={error} /> : null}
      <section className="panel" aria-labelledby="hosts-heading">
        <h3 id="hosts-heading" className="panel-title">
          Hosts <span className="muted">({hosts.length})</span>
        </h3>
        {!loaded ? (
          <p className="muted">Loading…</p>
        ) : hosts.length === 0 ? (
          <p className="muted">No hosts configured. Hosts from ~/.ssh/config appear here.</p>
        ) : (
          <table className="data-table" aria-label="Hosts">
            <thead>
              <tr>
                <th>Alias</th>
                <th>Address</th>
                <th>User</th>
                <th>Source</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody onKeyDown={moveFocusInList}>
              {hosts.map((host) => (
                <tr key={host.id} data-testid="host-item" tabIndex={0} data-list-item>
                  <td>{host.alias}</td>
                  <td className="mono">
                    {host.hostName}:{host.port}
                  </td>
                  <td>{host.user}</td>
                  <td>{host.source === 'ssh-config' ? 'ssh config' : 'workbench'}</td>
                  <td>{sessionStates[host.id] ?? 'disconnected'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
