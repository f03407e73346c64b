import type { GuestText } from '../../../preload/api';

/**
 * Text from the guest, shown only as a text node.
 *
 * Never markup, never an attribute that loads anything: guest strings are hostile even after main
 * escaped them. A cap that applied shows as a marker.
 */
export function GuestTextView({ value, className }: { value: GuestText; className?: string }) {
  return (
    <span className={className ? `guest-text ${className}` : 'guest-text'}>
      {value.text}
      {value.truncated ? (
        <span className="truncated-marker" title="Cut at the display cap; the capture holds the full value">
          …truncated
        </span>
      ) : null}
    </span>
  );
}
