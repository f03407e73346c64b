import type { TwinForward, TwinSummary, TwinsChangedEvent } from '../../../../preload/api';

/** Each host's twins, as the helper last listed them. */
export type TwinsByHost = Readonly<Record<string, readonly TwinSummary[]>>;

/**
 * The twins after a `twinsChanged` event: the event's list replaces the host's.
 *
 * The helper sends the whole list each time (started, renewed, expired, destroyed), so nothing is
 * merged; a twin missing from it is gone.
 */
export function applyTwinsChanged(twins: TwinsByHost, event: TwinsChangedEvent): TwinsByHost {
  return { ...twins, [event.hostId]: event.twins };
}

/** The twins after one twin's fresh summary (a renew's answer) replaced its old one. */
export function withTwinReplaced(twins: TwinsByHost, summary: TwinSummary): TwinsByHost {
  const list = twins[summary.hostId] ?? [];
  const index = list.findIndex((twin) => twin.twinId === summary.twinId);
  const next = index === -1 ? [...list, summary] : list.map((twin, at) => (at === index ? summary : twin));
  return { ...twins, [summary.hostId]: next };
}

/** The twins after one was destroyed. */
export function withoutTwin(twins: TwinsByHost, hostId: string, twinId: string): TwinsByHost {
  const list = twins[hostId];
  if (list === undefined) return twins;
  return { ...twins, [hostId]: list.filter((twin) => twin.twinId !== twinId) };
}

/** The twins after a forward was tunnelled to this machine: the forward gains its local URL. */
export function withForwardOpened(twins: TwinsByHost, hostId: string, twinId: string, forward: TwinForward): TwinsByHost {
  const list = twins[hostId];
  if (list === undefined) return twins;
  return {
    ...twins,
    [hostId]: list.map((twin) =>
      twin.twinId !== twinId
        ? twin
        : { ...twin, forwards: twin.forwards.map((candidate) => (candidate.guestPort === forward.guestPort ? forward : candidate)) },
    ),
  };
}

/** A host's twins still within their lease. */
export function liveTwins(list: readonly TwinSummary[] | undefined): readonly TwinSummary[] {
  return (list ?? []).filter((twin) => twin.state === 'live');
}

/** Whole seconds left of a twin's lease at `nowMs` (never below zero), counted from `expiresAt`. */
export function secondsLeftAt(twin: Pick<TwinSummary, 'expiresAt' | 'secondsLeft'>, nowMs: number): number {
  const expires = Date.parse(twin.expiresAt);
  // A summary whose time cannot be read keeps the snapshot's figure.
  if (Number.isNaN(expires)) return Math.max(0, Math.floor(twin.secondsLeft));
  return Math.max(0, Math.floor((expires - nowMs) / 1000));
}

/** A countdown as `h:mm:ss` from an hour up, else `m:ss`; `0:00` once over. */
export function formatCountdown(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

/** How long ago an ISO time was, in the largest unit that reads well (`45 s`, `12 min`, `2 h 05 min`). */
export function formatAge(sinceIso: string, nowMs: number): string {
  const since = Date.parse(sinceIso);
  if (Number.isNaN(since)) return '—';
  const seconds = Math.max(0, Math.floor((nowMs - since) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** An ISO time as `HH:MM UTC`, for "the host ends the twin at …". */
export function formatClock(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(11, 16)} UTC`;
}

/**
 * The twin an experiment form aims at: the chosen one while it is live on a connected host (or while
 * an experiment runs on it), else the first live twin of the connected hosts, else none.
 */
export function experimentTargetOf(
  chosen: { readonly hostId: string; readonly twinId: string } | null,
  connectedHostIds: readonly string[],
  twins: TwinsByHost,
  running: boolean,
): { readonly hostId: string; readonly twinId: string } | null {
  if (chosen !== null && running) return chosen;
  if (chosen !== null && connectedHostIds.includes(chosen.hostId) && liveTwins(twins[chosen.hostId]).some((twin) => twin.twinId === chosen.twinId)) return chosen;
  for (const hostId of connectedHostIds) {
    const first = liveTwins(twins[hostId])[0];
    if (first !== undefined) return { hostId, twinId: first.twinId };
  }
  return null;
}
