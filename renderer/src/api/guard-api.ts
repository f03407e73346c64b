import { type Result, type WorkbenchApi, workbenchEventSubscriptions } from '../../../preload/api';
import { workbenchRequestNames } from './method-names';

/** What a request that threw resolves to instead: a bug, shown as INTERNAL and logged. */
const internalResult: Result<never> = {
  ok: false,
  error: {
    code: 'INTERNAL',
    message: 'The request failed unexpectedly.',
    hint: 'An unexpected error. The log has the details; please report it.',
  },
};

/**
 * The contract with every request turned from "may reject" into "always resolves to a Result".
 *
 * Requests never reject for expected failures; a rejection is a bug (a broken bridge, a thrown
 * handler). Without this it would surface as an unhandled rejection in a click handler, far from
 * any banner or error boundary.
 */
export function guardApi(api: WorkbenchApi): WorkbenchApi {
  const guarded: Record<string, unknown> = {};
  // Subscriptions pass through as they are: they return an unsubscribe function, not a Result.
  for (const subscription of Object.keys(workbenchEventSubscriptions) as (keyof typeof workbenchEventSubscriptions)[]) {
    guarded[subscription] = api[subscription];
  }
  for (const name of workbenchRequestNames) {
    // Each method takes at most one argument and resolves to a Result; the loop cannot say which.
    const method = api[name] as (args?: unknown) => Promise<Result<unknown>>;
    guarded[name] = async (args?: unknown): Promise<Result<unknown>> => {
      try {
        return await method(args);
      } catch (error) {
        console.error(`[renderer] request ${name} rejected`, error);
        return internalResult;
      }
    };
  }
  return guarded as unknown as WorkbenchApi;
}
