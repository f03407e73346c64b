import type {
  HostDetails,
  HostEntry,
  HostForm,
  HostKeyPromptEvent,
  HostNoticeEvent,
  HostTestReport,
  HostVmList,
  SecretPromptEvent,
  SessionState,
  SessionStateEvent,
  WorkbenchApi,
  WorkbenchError,
} from '../../../preload/api';
import { applyPromptEvent, withoutPrompt } from './logic/prompt-queue';
import { resyncSessions } from './logic/resync-sessions';
import type { SliceCreator } from './types';

/** Which host form is open: a new host, or an existing one to edit. */
export type HostFormState = { readonly mode: 'add' } | { readonly mode: 'edit'; readonly host: HostDetails };

/** KVM hosts, their connections and VMs, and the questions connecting asks. */
export interface HostsSlice {
  readonly hosts: readonly HostEntry[];
  readonly hostsLoaded: boolean;
  readonly hostsError: WorkbenchError | null;
  readonly sessionStates: Readonly<Record<string, SessionState>>;
  /** The last failure per host (connect, helper, VM list), until the next try. */
  readonly hostErrors: Readonly<Record<string, WorkbenchError>>;
  readonly vmLists: Readonly<Record<string, HostVmList>>;
  /** Hosts whose last refresh failed: their list is from before it, so none of it is offered for capture. */
  readonly staleVmLists: Readonly<Record<string, true>>;
  /** What the app did on each host by itself (interrupted clones recovered at connect), newest last. */
  readonly hostNotices: Readonly<Record<string, readonly HostNoticeEvent[]>>;
  readonly vmsLoading: Readonly<Record<string, boolean>>;
  /** The last successful test per host: helper version and how root is reached. */
  readonly hostTests: Readonly<Record<string, HostTestReport>>;
  readonly hostsTesting: Readonly<Record<string, boolean>>;
  /** Open host-key questions, oldest first; the dialog shows the first. */
  readonly hostKeyPrompts: readonly HostKeyPromptEvent[];
  readonly secretPrompts: readonly SecretPromptEvent[];
  readonly hostForm: HostFormState | null;
  readonly hostFormError: WorkbenchError | null;
  loadHosts(): Promise<void>;
  /** Takes every host's connection state from the service (a new page, a socket back, a connect). */
  loadSessions(): Promise<void>;
  receiveSessionState(event: SessionStateEvent): void;
  receiveHostKeyPrompt(event: HostKeyPromptEvent): void;
  receiveSecretPrompt(event: SecretPromptEvent): void;
  receiveHostNotice(event: HostNoticeEvent): void;
  dismissHostNotice(hostId: string, noticeId: string): void;
  answerHostKey(promptId: string, accept: boolean): Promise<void>;
  /** `null` cancels. The value is handed over and not kept in the store. */
  answerSecret(promptId: string, value: string | null): Promise<void>;
  openHostForm(hostId?: string): Promise<void>;
  closeHostForm(): void;
  /** Saves the open form; true when saved (the form then closes). */
  saveHost(form: HostForm): Promise<boolean>;
  removeHost(hostId: string): Promise<void>;
  /** Connects (deploying the helper), then lists the host's VMs and twins. */
  connectHost(hostId: string): Promise<void>;
  disconnectHost(hostId: string): Promise<void>;
  /** Connects, deploys the helper and checks root access, without listing VMs. */
  testHost(hostId: string): Promise<void>;
  refreshVms(hostId: string): Promise<void>;
  dismissHostError(hostId: string): void;
}

function omit<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const next = { ...record };
  delete next[key];
  return next;
}

// Notices pile up only if the user never looks; the latest few say enough.
const maxNoticesPerHost = 5;

/** Creates the hosts slice over the contract. */
export function createHostsSlice(api: WorkbenchApi): SliceCreator<HostsSlice> {
  return (set, get) => {
    const fail = (hostId: string, error: WorkbenchError): void => set((state) => ({ hostErrors: { ...state.hostErrors, [hostId]: error } }));
    // Session events that arrive while a listing is in flight are newer than it; each listing collects its own.
    const eventsDuringListing = new Set<SessionStateEvent[]>();
    return {
      hosts: [],
      hostsLoaded: false,
      hostsError: null,
      sessionStates: {},
      hostErrors: {},
      vmLists: {},
      staleVmLists: {},
      hostNotices: {},
      vmsLoading: {},
      hostTests: {},
      hostsTesting: {},
      hostKeyPrompts: [],
      secretPrompts: [],
      hostForm: null,
      hostFormError: null,
      async loadHosts() {
        const result = await api.listHosts();
        set(result.ok ? { hosts: result.value, hostsLoaded: true, hostsError: null } : { hostsLoaded: true, hostsError: result.error });
      },
      async loadSessions() {
        const later: SessionStateEvent[] = [];
        eventsDuringListing.add(later);
        const result = await api.listSessions();
        eventsDuringListing.delete(later);
        if (result.ok) set((state) => resyncSessions(state, result.value, later));
      },
      receiveSessionState(event) {
        for (const later of eventsDuringListing) later.push(event);
        set((state) => ({
          sessionStates: { ...state.sessionStates, [event.hostId]: event.state },
          ...(event.error ? { hostErrors: { ...state.hostErrors, [event.hostId]: event.error } } : {}),
          ...(event.state === 'disconnected' ? { vmLists: omit(state.vmLists, event.hostId), staleVmLists: omit(state.staleVmLists, event.hostId) } : {}),
        }));
      },
      receiveHostNotice(event) {
        set((state) => ({ hostNotices: { ...state.hostNotices, [event.hostId]: [...(state.hostNotices[event.hostId] ?? []), event].slice(-maxNoticesPerHost) } }));
      },
      dismissHostNotice(hostId, noticeId) {
        set((state) => ({ hostNotices: { ...state.hostNotices, [hostId]: (state.hostNotices[hostId] ?? []).filter((notice) => notice.noticeId !== noticeId) } }));
      },
      receiveHostKeyPrompt(event) {
        set((state) => ({ hostKeyPrompts: applyPromptEvent(state.hostKeyPrompts, event) }));
      },
      receiveSecretPrompt(event) {
        set((state) => ({ secretPrompts: applyPromptEvent(state.secretPrompts, event) }));
      },
      async answerHostKey(promptId, accept) {
        set((state) => ({ hostKeyPrompts: withoutPrompt(state.hostKeyPrompts, promptId) }));
        await api.answerHostKey({ promptId, accept });
      },
      async answerSecret(promptId, value) {
        set((state) => ({ secretPrompts: withoutPrompt(state.secretPrompts, promptId) }));
        await api.answerSecret({ promptId, value });
      },
      async openHostForm(hostId) {
        if (hostId === undefined) {
          set({ hostForm: { mode: 'add' }, hostFormError: null });
          return;
        }
        const result = await api.getHost({ hostId });
        if (result.ok) set({ hostForm: { mode: 'edit', host: result.value }, hostFormError: null });
        else fail(hostId, result.error);
      },
      closeHostForm() {
        set({ hostForm: null, hostFormError: null });
      },
      async saveHost(form) {
        const open = get().hostForm;
        if (open === null) return false;
        const result = open.mode === 'add' ? await api.addHost({ host: form }) : await api.editHost({ hostId: open.host.id, host: form });
        if (!result.ok) {
          set({ hostFormError: result.error });
          return false;
        }
        set({ hostForm: null, hostFormError: null });
        await get().loadHosts();
        return true;
      },
      async removeHost(hostId) {
        const result = await api.removeHost({ hostId });
        if (!result.ok) return fail(hostId, result.error);
        set((state) => ({ vmLists: omit(state.vmLists, hostId), staleVmLists: omit(state.staleVmLists, hostId), hostErrors: omit(state.hostErrors, hostId) }));
        await get().loadHosts();
      },
      async connectHost(hostId) {
        set((state) => ({ hostErrors: omit(state.hostErrors, hostId) }));
        const result = await api.connectHost({ hostId });
        if (!result.ok) return fail(hostId, result.error);
        // A host the service already held connected (from an earlier page) sends no state event: ask.
        await get().loadSessions();
        await Promise.all([get().refreshVms(hostId), get().loadTwins(hostId)]);
      },
      async testHost(hostId) {
        set((state) => ({ hostsTesting: { ...state.hostsTesting, [hostId]: true }, hostErrors: omit(state.hostErrors, hostId) }));
        const result = await api.testHost({ hostId });
        set((state) => ({
          hostsTesting: { ...state.hostsTesting, [hostId]: false },
          ...(result.ok
            ? { hostTests: { ...state.hostTests, [hostId]: result.value } }
            : { hostTests: omit(state.hostTests, hostId), hostErrors: { ...state.hostErrors, [hostId]: result.error } }),
        }));
      },
      async disconnectHost(hostId) {
        const result = await api.disconnectHost({ hostId });
        if (!result.ok) fail(hostId, result.error);
        set((state) => ({ vmLists: omit(state.vmLists, hostId), staleVmLists: omit(state.staleVmLists, hostId) }));
        get().forgetTwins(hostId);
      },
      async refreshVms(hostId) {
        set((state) => ({ vmsLoading: { ...state.vmsLoading, [hostId]: true }, hostErrors: omit(state.hostErrors, hostId) }));
        const result = await api.listVms({ hostId });
        set((state) => ({
          vmsLoading: { ...state.vmsLoading, [hostId]: false },
          // A failed refresh keeps the old list only marked stale: a VM gone since must not read as running and cloneable.
          ...(result.ok
            ? { vmLists: { ...state.vmLists, [hostId]: result.value }, staleVmLists: omit(state.staleVmLists, hostId) }
            : {
                hostErrors: { ...state.hostErrors, [hostId]: result.error },
                ...(state.vmLists[hostId] === undefined ? {} : { staleVmLists: { ...state.staleVmLists, [hostId]: true as const } }),
              }),
        }));
      },
      dismissHostError(hostId) {
        set((state) => ({ hostErrors: omit(state.hostErrors, hostId) }));
      },
    };
  };
}
