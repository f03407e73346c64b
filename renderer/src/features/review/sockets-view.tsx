import type { SocketRecord } from '../../../../preload/api';
import { GuestTextView } from '../../components/guest-text-view';

/** Listening and established sockets, each linked to its process. */
export function SocketsView({ sockets, onSelectProcess }: { sockets: readonly SocketRecord[] | null; onSelectProcess: (pid: number) => void }) {
  if (sockets === null) return <p className="muted">Loading sockets…</p>;
  if (sockets.length === 0) return <p className="muted">The capture holds no sockets.</p>;
  const listening = sockets.filter((socket) => socket.state === 'LISTEN' || (socket.protocol.startsWith('udp') && socket.remoteAddress === null));
  const other = sockets.filter((socket) => !listening.includes(socket));
  return (
    <div className="sockets-view" data-testid="sockets-view">
      <SocketTable title={`Listening (${listening.length})`} sockets={listening} onSelectProcess={onSelectProcess} />
      <SocketTable title={`Established and other (${other.length})`} sockets={other.slice(0, 5000)} onSelectProcess={onSelectProcess} />
      {other.length > 5000 ? <p className="muted">First 5000 shown; the export holds all.</p> : null}
    </div>
  );
}

function endpoint(address: SocketRecord['localAddress'] | null, port: number | null) {
  if (address === null) return <span className="muted">—</span>;
  return (
    <>
      <GuestTextView value={address} />
      {port === null ? '' : `:${port}`}
    </>
  );
}

function SocketTable({ title, sockets, onSelectProcess }: { title: string; sockets: readonly SocketRecord[]; onSelectProcess: (pid: number) => void }) {
  return (
    <section>
      <h4 className="subheading">{title}</h4>
      <table className="data-table mono">
        <thead>
          <tr>
            <th>Proto</th>
            <th>State</th>
            <th>Local</th>
            <th>Remote</th>
            <th>Process</th>
          </tr>
        </thead>
        <tbody>
          {sockets.map((socket, index) => (
            <tr key={index} data-testid="socket-row" data-port={socket.localPort ?? ''}>
              <td>{socket.protocol}</td>
              <td>{socket.state}</td>
              <td>{endpoint(socket.localAddress, socket.localPort)}</td>
              <td>{endpoint(socket.remoteAddress, socket.remotePort)}</td>
              <td>
                {socket.pid === null ? (
                  <span className="muted">—</span>
                ) : (
                  <button type="button" className="link-button" onClick={() => onSelectProcess(socket.pid as number)}>
                    {socket.pid} {socket.processName ? <GuestTextView value={socket.processName} /> : null}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
