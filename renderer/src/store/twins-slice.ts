import type { TwinRequest, TwinsChangedEvent, WorkbenchApi, WorkbenchError } from '../../../preload/api';
import { applyTwinsChanged, type TwinsByHost, withForwardOpened, withTwinReplaced, withoutTwin } from './logic/twins';
import type { SliceCreator } from './types';

/** Twins: clones kept alive under a lease, per connected host. */
export interface TwinsSlice {
  readonly twins: TwinsByHost;
  /** The last failure per host of a twin request (list, start, renew, destroy, forward), until the next. */
  readonly twinErrors: Readonly<Record<string, WorkbenchError>>;
  /** Twin ids with a renew, destroy or forward in flight, so their buttons wait. */
  readonly twinsBusy: Readonly<Record<string, true>>;
  /** Asks the host's helper for its twins now (on connect, after a reconnect). */
  loadTwins(hostId: string): Promise<void>;
  receiveTwinsChanged(event: TwinsChangedEvent): void;
  /** Starts a twin as a job; true when the job started (it shows in Jobs). */
  startTwin(request: TwinRequest): Promise<boolean>;
  /** Extends the lease by `ttlSeconds` (the twin's own TTL when left out). */
  renewTwin(hostId: string, twinId: string, ttlSeconds?: number): Promise<void>;
  destroyTwin(hostId: string, twinId: string): Promise<void>;
  /** Tunnels one forward to this machine; returns its local URL, or null when it failed. */
  openTwinForward(hostId: string, twinId: string, guestPort: number): Promise<string | null>;
  /** Forgets a host's twins (it disconnected: its list is no longer known). */
  forgetTwins(hostId: string): void;
  dismissTwinError(hostId: string): void;
}

function omit<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const next = { ...record };
  delete next[key];
  return next;
}

/** Creates the twins slice over the contract. */
export function createTwinsSlice(api: WorkbenchApi): SliceCreator<TwinsSlice> {
  return (set, get) => {
    const fail = (hostId: string, error: WorkbenchError): void => set((state) => ({ twinErrors: { ...state.twinErrors, [hostId]: error } }));
    const clear = (hostId: string): void => set((state) => ({ twinErrors: omit(state.twinErrors, hostId) }));
    const busy = (twinId: string, on: boolean): void =>
      set((state) => ({ twinsBusy: on ? { ...state.twinsBusy, [twinId]: true as const } : omit(state.twinsBusy, twinId) }));
    return {
      twins: {},
      twinErrors: {},
      twinsBusy: {},
      async loadTwins(hostId) {
        const result = await api.listTwins({ hostId });
        if (result.ok) set((state) => ({ twins: { ...state.twins, [hostId]: result.value }, twinErrors: omit(state.twinErrors, hostId) }));
        else fail(hostId, result.error);
      },
      receiveTwinsChanged(event) {
        set((state) => ({ twins: applyTwinsChanged(state.twins, event) }));
      },
      async startTwin(request) {
        clear(request.hostId);
        const result = await api.startTwin(request);
        if (!result.ok) fail(request.hostId, result.error);
        return result.ok;
      },
      async renewTwin(hostId, twinId, ttlSeconds) {
        const twin = get().twins[hostId]?.find((candidate) => candidate.twinId === twinId);
        const ttl = ttlSeconds ?? twin?.ttlSeconds;
        if (ttl === undefined) return;
        clear(hostId);
        busy(twinId, true);
        const result = await api.renewTwin({ hostId, twinId, ttlSeconds: ttl });
        busy(twinId, false);
        if (result.ok) set((state) => ({ twins: withTwinReplaced(state.twins, result.value) }));
        else fail(hostId, result.error);
      },
      async destroyTwin(hostId, twinId) {
        clear(hostId);
        busy(twinId, true);
        const result = await api.destroyTwin({ hostId, twinId });
        busy(twinId, false);
        if (result.ok) set((state) => ({ twins: withoutTwin(state.twins, hostId, twinId) }));
        else fail(hostId, result.error);
      },
      async openTwinForward(hostId, twinId, guestPort) {
        clear(hostId);
        busy(twinId, true);
        const result = await api.openTwinForward({ hostId, twinId, guestPort });
        busy(twinId, false);
        if (!result.ok) {
          fail(hostId, result.error);
          return null;
        }
        set((state) => ({ twins: withForwardOpened(state.twins, hostId, twinId, result.value) }));
        return result.value.localUrl;
      },
      forgetTwins(hostId) {
        set((state) => ({ twins: omit(state.twins, hostId) }));
      },
      dismissTwinError(hostId) {
        clear(hostId);
      },
    };
  };
}
