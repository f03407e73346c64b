import type { KeyboardEvent } from 'react';

/**
 * Moves focus between a list's items with the arrow keys, Home and End.
 *
 * Items are the focusable elements marked `data-list-item` inside the list.
 */
export function moveFocusInList(event: KeyboardEvent<HTMLElement>): void {
  const keys = ['ArrowDown', 'ArrowUp', 'Home', 'End'];
  if (!keys.includes(event.key)) return;
  const items = [...event.currentTarget.querySelectorAll<HTMLElement>('[data-list-item]')];
  if (items.length === 0) return;
  event.preventDefault();
  const current = items.findIndex((item) => item.contains(event.target as Node));
  const last = items.length - 1;
  const next =
    event.key === 'Home' ? 0
    : event.key === 'End' ? last
    : event.key === 'ArrowDown' ? Math.min(current + 1, last)
    : Math.max(current - 1, 0);
  items[next]?.focus();
}
