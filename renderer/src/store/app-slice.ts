import type { AppInfo, WorkbenchApi, WorkbenchError } from '../../../preload/api';
import type { SliceCreator } from './types';

/** Facts about the app and its link to the services. */
export interface AppSlice {
  readonly appInfo: AppInfo | null;
  /** True once the web socket closed: the banner asks for a reload. */
  readonly connectionLost: boolean;
  readonly appError: WorkbenchError | null;
  loadAppInfo(): Promise<void>;
  markConnectionLost(): void;
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
  });
}
