import type { HostEntry, SessionState, SessionStateEvent, WorkbenchApi, WorkbenchError } from '../../../preload/api';
import type { SliceCreator } from './types';

/** KVM hosts the user can connect to, and their connection states. */
export interface HostsSlice {
  readonly hosts: readonly HostEntry[];
  readonly hostsLoaded: boolean;
  readonly hostsError: WorkbenchError | null;
  readonly sessionStates: Readonly<Record<string, SessionState>>;
  loadHosts(): Promise<void>;
  receiveSessionState(event: SessionStateEvent): void;
}

/** Creates the hosts slice over the contract. */
export function createHostsSlice(api: WorkbenchApi): SliceCreator<HostsSlice> {
  return (set) => ({
    hosts: [],
    hostsLoaded: false,
    hostsError: null,
    sessionStates: {},
    async loadHosts() {
      const result = await api.listHosts();
      set(
        result.ok
          ? { hosts: result.value, hostsLoaded: true, hostsError: null }
          : { hostsLoaded: true, hostsError: result.error },
      );
    },
    receiveSessionState(event) {
      set((state) => ({ sessionStates: { ...state.sessionStates, [event.hostId]: event.state } }));
    },
  });
}
