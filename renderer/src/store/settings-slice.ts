import type { WorkbenchApi, WorkbenchError, WorkstationKeyInfo } from '../../../preload/api';
import type { SliceCreator } from './types';

/** Settings: the workstation key that signs captures. */
export interface SettingsSlice {
  readonly workstationKey: WorkstationKeyInfo | null;
  readonly settingsError: WorkbenchError | null;
  /** Reads the key (main makes it on first use). */
  loadWorkstationKey(): Promise<void>;
  /** Names the key; an empty name clears it. */
  renameWorkstationKey(name: string): Promise<void>;
}

/** Creates the settings slice over the contract. */
export function createSettingsSlice(api: WorkbenchApi): SliceCreator<SettingsSlice> {
  return (set) => ({
    workstationKey: null,
    settingsError: null,
    async loadWorkstationKey() {
      const result = await api.getWorkstationKey();
      set(result.ok ? { workstationKey: result.value, settingsError: null } : { settingsError: result.error });
    },
    async renameWorkstationKey(name) {
      const trimmed = name.trim();
      const result = await api.setWorkstationKeyName({ name: trimmed === '' ? null : trimmed });
      set(result.ok ? { workstationKey: result.value, settingsError: null } : { settingsError: result.error });
    },
  });
}
