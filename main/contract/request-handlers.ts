import { z } from 'zod';
import type { WorkbenchRequestName } from '../../preload/api';
import type { WorkbenchServices } from '../services';

/**
 * One entry per request of the contract: the schema of its arguments and the service it calls.
 *
 * Both adapters (Electron IPC and the web mode) dispatch through this table, so validation cannot
 * differ between them. Handlers hold no logic beyond picking the service.
 */
interface RequestHandler<Schema extends z.ZodType> {
  readonly args: Schema;
  readonly call: (services: WorkbenchServices, args: z.infer<Schema>) => Promise<unknown>;
}

function handler<Schema extends z.ZodType>(
  args: Schema,
  call: (services: WorkbenchServices, args: z.infer<Schema>) => Promise<unknown>,
): RequestHandler<Schema> {
  return { args, call };
}

// Paths come from users and drops; the cap only stops absurd input, the bundle reader checks the rest.
const path = z.string().min(1).max(4096);
const handle = z.string().min(1).max(128);
const noArgs = z.null().optional();

/** Requests carried over a transport. `pathForDroppedFile` is absent: each adapter resolves files itself. */
export type TransportRequestName = Exclude<WorkbenchRequestName, 'pathForDroppedFile'>;

/** The request table. */
export const requestHandlers = {
  getAppInfo: handler(noArgs, (services) => services.app.info()),
  listJobs: handler(noArgs, async (services) => services.jobs.list()),
  cancelJob: handler(z.strictObject({ jobId: z.uuid() }), async (services, args) => services.jobs.cancel(args.jobId)),
  listRecentCaptures: handler(noArgs, (services) => services.recent.list()),
  getSampleCapturePath: handler(noArgs, (services) => services.app.sampleCapturePath()),
  pickCapturePath: handler(noArgs, (services) => services.app.pickCapturePath()),
  openCapture: handler(z.strictObject({ path }), (services, args) => services.review.open(args.path)),
  closeCapture: handler(z.strictObject({ handle }), (services, args) => services.review.close(args.handle)),
  getProcesses: handler(z.strictObject({ handle }), (services, args) => services.review.processes(args.handle)),
  getFindings: handler(z.strictObject({ handle }), (services, args) => services.review.findings(args.handle)),
  listHosts: handler(noArgs, (services) => services.hosts.list()),
} as const satisfies Record<TransportRequestName, RequestHandler<z.ZodType>>;

/** The names of every request a transport carries. */
export const transportRequestNames = Object.keys(requestHandlers) as TransportRequestName[];

/** True when `name` is a request of the table (own key only: `__proto__` and friends are not). */
export function isTransportRequestName(name: unknown): name is TransportRequestName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requestHandlers, name);
}
