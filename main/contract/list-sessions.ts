import type { SessionStateEvent } from '../../preload/api';
import type { HostService } from '../services';

/**
 * The connection state of every known host, as the connection pool holds it now.
 *
 * State changes go out as events only to pages listening at the time; a page that starts later (a
 * reload, a second tab, a socket that came back) asks this instead of showing every host as
 * disconnected.
 */
export async function listSessionStates(hosts: HostService): Promise<SessionStateEvent[]> {
  return (await hosts.list()).map((host) => ({ hostId: host.id, state: hosts.ssh.pool.state(host.id) }));
}
