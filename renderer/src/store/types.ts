import type { StateCreator } from 'zustand';
import type { AppSlice } from './app-slice';
import type { CapturesSlice } from './captures-slice';
import type { DiagnosticsSlice } from './diagnostics-slice';
import type { ExperimentsSlice } from './experiments-slice';
import type { HostsSlice } from './hosts-slice';
import type { JobsSlice } from './jobs-slice';
import type { ReviewSlice } from './review-slice';
import type { SettingsSlice } from './settings-slice';
import type { TwinsSlice } from './twins-slice';
import type { UiSlice } from './ui-slice';

/** The whole renderer state: one store made of slices. */
export type WorkbenchState = AppSlice & JobsSlice & CapturesSlice & ReviewSlice & HostsSlice & UiSlice & DiagnosticsSlice & SettingsSlice & TwinsSlice & ExperimentsSlice;

/** A slice creator that can read and write the whole store. */
export type SliceCreator<T> = StateCreator<WorkbenchState, [], [], T>;
