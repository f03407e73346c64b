import type { AppInfo, WorkbenchApi, WorkbenchError } from '../../../preload/api';
import type { SliceCreator } from './types';

/** Facts about the app and its link to the services. */
export interface AppSlice {
  readonly appInfo: AppInfo | null;
  /** True while the web socket is down: the banner offers a reload (the adapter also retries by itself). */
  readonly connectionLost: boolean;
  readonly appError: WorkbenchError | null;
  loadAppInfo(): Promise<void>;
  markConnectionLost(): void;
  markConnectionRestored(): void;
}

/** Creates the app slice over the contract. */
export function createAppSlice(api: WorkbenchApi): SliceCreator<AppSlice> {
  return (set) => ({
    appInfo: null,
    connectionLost: false,
    appError: null,
    async loadAppInfo() {
      const result = await api.getAppInfo();
      set(result.ok ? { appInfo: result.value, appError: null } : { appError: result.error });
    },
    markConnectionLost() {
      set({ connectionLost: true });
    },
    markConnectionRestored() {
      set({ connectionLost: false });
    },
  });
}
