import { WorkbenchFailure } from '../errors';

/** Waits `ms`, or rejects with CANCELLED as soon as the signal fires (used between reconnect attempts). */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new WorkbenchFailure('CANCELLED', 'Cancelled.'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new WorkbenchFailure('CANCELLED', 'Cancelled.'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
