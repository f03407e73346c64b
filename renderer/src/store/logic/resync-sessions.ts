import type { HostVmList, SessionState, SessionStateEvent } from '../../../../preload/api';

/** The part of the hosts state a session listing replaces. */
export interface SessionView {
  readonly sessionStates: Readonly<Record<string, SessionState>>;
  readonly vmLists: Readonly<Record<string, HostVmList>>;
}

/**
 * The session view after a full listing from the service, then the events that arrived meanwhile.
 *
 * The listing is the truth for every host it names (a reload or a second page knew nothing, a page
 * whose socket dropped missed events); events that came in while it was in flight are newer, so they
 * are applied on top. A host now disconnected, or gone, loses the VM list kept from before (as a
 * `disconnected` event does).
 */
export function resyncSessions(view: SessionView, listed: readonly SessionStateEvent[], laterEvents: readonly SessionStateEvent[] = []): SessionView {
  const sessionStates: Record<string, SessionState> = {};
  for (const session of listed) sessionStates[session.hostId] = session.state;
  for (const event of laterEvents) sessionStates[event.hostId] = event.state;
  const vmLists: Record<string, HostVmList> = {};
  for (const [hostId, list] of Object.entries(view.vmLists)) {
    const state = sessionStates[hostId];
    if (state !== undefined && state !== 'disconnected') vmLists[hostId] = list;
  }
  return { sessionStates, vmLists };
}
