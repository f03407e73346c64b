import type { SliceCreator } from './types';

/** The views of the left navigation, in order (Alt/Ctrl+1..6). */
export const views = ['hosts', 'jobs', 'review', 'experiments', 'wizards', 'settings'] as const;

/** One view of the left navigation. */
export type View = (typeof views)[number];

/** What the shell shows. */
export interface UiSlice {
  readonly view: View;
  /** Whether the user chose a view yet; until then start-up may pick one. */
  readonly viewChosen: boolean;
  showView(view: View): void;
}

/** Creates the ui slice; the first screen is Review, which welcomes when no capture is open. */
export function createUiSlice(): SliceCreator<UiSlice> {
  return (set) => ({
    view: 'review',
    viewChosen: false,
    showView(view) {
      set({ view, viewChosen: true });
    },
  });
}
