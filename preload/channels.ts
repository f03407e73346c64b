/**
 * IPC channel names, shared by the preload and main's IPC registration.
 *
 * Kept apart from both so the sandboxed preload bundles nothing of main.
 */

/** The channel of a request: `workbench:<method>`. */
export function requestChannel(method: string): string {
  return `workbench:${method}`;
}

/** The channel of an event: `workbench:event:<name>`. */
export function eventChannel(name: string): string {
  return `workbench:event:${name}`;
}
