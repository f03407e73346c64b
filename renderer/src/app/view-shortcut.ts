import { views, type View } from '../store/ui-slice';

/** The parts of a key event a shortcut looks at. */
export interface ShortcutKey {
  readonly key: string;
  readonly altKey: boolean;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly shiftKey: boolean;
}

/** The view a key chord switches to (Alt+1..6 or Ctrl+1..6), or null. */
export function viewForShortcut(event: ShortcutKey): View | null {
  if (event.shiftKey || event.metaKey || event.altKey === event.ctrlKey) return null;
  const digit = Number(event.key);
  if (!Number.isInteger(digit) || digit < 1 || digit > views.length) return null;
  return views[digit - 1] ?? null;
}
