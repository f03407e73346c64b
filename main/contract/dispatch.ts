import type { Result } from '../../preload/api';
import { toWorkbenchError, workbenchError } from '../errors';
import { createLogger } from '../logging/logger';
import type { WorkbenchServices } from '../services';
import { isTransportRequestName, requestHandlers } from './request-handlers';

const log = createLogger('dispatch');

/**
 * Validates a request and calls its service, turning every outcome into a `Result`.
 *
 * The single path from any transport to the services: unknown methods and bad arguments are refused
 * with VALIDATION_FAILED before any service sees them; thrown failures become error values.
 */
export async function dispatchRequest(services: WorkbenchServices, method: unknown, rawArgs: unknown): Promise<Result<unknown>> {
  if (!isTransportRequestName(method)) {
    return { ok: false, error: workbenchError('VALIDATION_FAILED', 'Unknown request.', typeof method === 'string' ? method.slice(0, 64) : undefined) };
  }
  const entry = requestHandlers[method];
  const parsed = entry.args.safeParse(rawArgs);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') ?? '';
    return {
      ok: false,
      error: workbenchError('VALIDATION_FAILED', `Invalid arguments for ${method}${where ? ` at "${where}"` : ''}.`, method),
    };
  }
  try {
    // The table pairs each schema with its own call; TypeScript cannot follow that through the union.
    const call = entry.call as (services: WorkbenchServices, args: unknown) => Promise<unknown>;
    const value = await call(services, parsed.data);
    return { ok: true, value: value === undefined ? null : value };
  } catch (caught) {
    const error = toWorkbenchError(caught);
    if (error.code === 'INTERNAL') log.error(`request ${method} failed`, caught);
    return { ok: false, error };
  }
}
