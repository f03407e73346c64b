import type { WorkbenchEvents } from '../../preload/api';

/** A listener for every event, whatever its name (an adapter forwarding events to its transport). */
export type EventForwarder = <K extends keyof WorkbenchEvents>(name: K, payload: WorkbenchEvents[K]) => void;

/** Carries service events to whichever adapters are attached. */
export interface EventBus {
  emit<K extends keyof WorkbenchEvents>(name: K, payload: WorkbenchEvents[K]): void;
  /** Attaches an adapter; returns a function that detaches it. */
  forward(forwarder: EventForwarder): () => void;
}

/** Creates an event bus; events with no adapter attached are dropped. */
export function createEventBus(): EventBus {
  const forwarders = new Set<EventForwarder>();
  return {
    emit(name, payload) {
      for (const forwarder of forwarders) forwarder(name, payload);
    },
    forward(forwarder) {
      forwarders.add(forwarder);
      return () => forwarders.delete(forwarder);
    },
  };
}
