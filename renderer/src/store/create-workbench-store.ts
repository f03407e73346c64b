import { createStore, type StoreApi } from 'zustand/vanilla';
import type { WorkbenchApi } from '../../../preload/api';
import { guardApi } from '../api/guard-api';
import { createAppSlice } from './app-slice';
import { createCapturesSlice } from './captures-slice';
import { createDiagnosticsSlice } from './diagnostics-slice';
import { createExperimentsSlice } from './experiments-slice';
import { createHostsSlice } from './hosts-slice';
import { createJobsSlice } from './jobs-slice';
import { createReviewSlice } from './review-slice';
import { createSettingsSlice } from './settings-slice';
import { createTwinsSlice } from './twins-slice';
import type { WorkbenchState } from './types';
import { createUiSlice } from './ui-slice';

/** The renderer's store. */
export type WorkbenchStore = StoreApi<WorkbenchState>;

/** Creates the one store of the renderer, its slices talking to `api`. */
export function createWorkbenchStore(contract: WorkbenchApi): WorkbenchStore {
  const api = guardApi(contract);
  return createStore<WorkbenchState>()((...parts) => ({
    ...createAppSlice(api)(...parts),
    ...createJobsSlice(api)(...parts),
    ...createCapturesSlice(api)(...parts),
    ...createReviewSlice(api)(...parts),
    ...createHostsSlice(api)(...parts),
    ...createUiSlice()(...parts),
    ...createDiagnosticsSlice(api)(...parts),
    ...createSettingsSlice(api)(...parts),
    ...createTwinsSlice(api)(...parts),
    ...createExperimentsSlice(api)(...parts),
  }));
}
