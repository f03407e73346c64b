import { z } from 'zod';
import type { Result, TransportRequestName, WorkbenchApi } from '../../preload/api';
import type { WorkbenchServices } from '../services';
import { listSessionStates } from './list-sessions';

/**
 * One entry per request of the contract: the schema of its arguments and the service it calls.
 *
 * Both adapters (Electron IPC and the web mode) dispatch through this table, so validation cannot
 * differ between them. Handlers hold no logic beyond picking the service.
 */
interface RequestHandler<Schema extends z.ZodType, Value> {
  readonly args: Schema;
  readonly call: (services: WorkbenchServices, args: z.infer<Schema>) => Promise<Value>;
}

/** What request `K` resolves to on success, by the contract. */
type ResultValue<K extends TransportRequestName> = Awaited<ReturnType<WorkbenchApi[K]>> extends Result<infer Value> ? Value : never;

/** The handler of request `K`: a schema and a call whose value is the one the contract promises (`undefined` is sent as `null`). */
type Handler<K extends TransportRequestName> = RequestHandler<z.ZodType, ResultValue<K> | (null extends ResultValue<K> ? void : never)>;

function handler<Schema extends z.ZodType, Value>(
  args: Schema,
  call: (services: WorkbenchServices, args: z.infer<Schema>) => Promise<Value>,
): RequestHandler<Schema, Value> {
  return { args, call };
}

// Paths come from users and drops; the cap only stops absurd input, the bundle reader checks the rest.
const path = z.string().min(1).max(4096);
const handle = z.string().min(1).max(128);
const noArgs = z.null().optional();
const pid = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const processWindowQuery = z.strictObject({
  handle,
  search: z.string().max(256),
  regex: z.boolean(),
  filters: z.strictObject({
    flaggedOnly: z.boolean().optional(),
    user: z.string().max(256).optional(),
    listeningOnly: z.boolean().optional(),
    cgroup: z.string().max(1024).optional(),
  }),
  sort: z.strictObject({ key: z.enum(['pid', 'name', 'user', 'cpu', 'rss', 'start', 'threads', 'exe', 'flags']), descending: z.boolean() }),
  mode: z.enum(['tree', 'flat']),
  collapsed: z.array(pid).max(50_000),
  offset: z.number().int().nonnegative().max(10_000_000),
  limit: z.number().int().positive().max(1000),
  locatePid: pid.optional(),
  locateRecord: pid.optional(),
});

// Host ids are `app:<uuid>` or `ssh-config:<alias>`; the inventory checks the rest.
const hostId = z.string().min(1).max(128);
const promptId = z.uuid();
const hostForm = z.strictObject({
  alias: z.string().min(1).max(64),
  hostName: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  user: z.string().min(1).max(64),
  identityFile: z.string().max(4096),
  proxyJump: z.string().max(1024),
  qmpDirs: z.array(z.string().min(1).max(256)).max(16),
});

const captureStep = z.strictObject({
  id: z.enum(['processes', 'sockets', 'system', 'backtraces', 'kernel-stacks', 'core-dump', 'syscalls', 'metrics', 'command', 'kernel-symbols', 'memory-dump']),
  pids: z.array(z.number().int().positive().max(4_194_304)).max(64).optional(),
  seconds: z.number().int().min(1).max(3600).optional(),
  intervalSeconds: z.number().int().min(1).max(3600).optional(),
  argv: z.array(z.string().min(1).max(4096)).min(1).max(256).optional(),
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
  format: z.enum(['elf', 'kdump-zlib']).optional(),
});
const captureRequest = z.strictObject({
  hostId,
  vmId: z.string().min(1).max(512),
  steps: z.array(captureStep).min(1).max(32),
  access: z.enum(['auto', 'qga', 'ssh', 'none']),
  guestLogin: z
    .strictObject({
      user: z.string().min(1).max(64),
      identityFile: z.string().max(4096).optional(),
      password: z.string().max(4096).optional(),
      hostKeySha256: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/).optional(),
    })
    .optional(),
  retention: z.strictObject({ hostArtifacts: z.enum(['delete', 'keep']), memoryDump: z.enum(['download', 'keep-on-host']) }).optional(),
  caseDir: path.optional(),
});

const twinId = z.string().regex(/^cw-[0-9a-f]{12}$/);
const guestPort = z.number().int().min(1).max(65535);
const loadSettings = z.strictObject({
  mode: z.enum(['closed', 'open']),
  concurrency: z.number().int().min(1).max(512),
  rate: z.number().positive().max(100_000).optional(),
  warmupSeconds: z.number().min(0).max(120),
  durationSeconds: z.number().positive().max(600),
  source: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('paths'), paths: z.array(z.string().regex(/^\/[\x21-\x7e]{0,2047}$/)).min(1).max(64) }),
    z.strictObject({ kind: z.literal('access-log'), logPath: z.string().regex(/^\/.{1,1023}$/), lastN: z.number().int().min(1).max(100_000) }),
  ]),
});
const configValue = z.string().min(1).max(256);
const twinRequest = z.strictObject({
  hostId,
  vmId: z.string().min(1).max(512),
  ttlSeconds: z.number().int().min(60).max(86_400),
  guestPorts: z.array(guestPort).max(16),
  guestNetwork: z.union([z.literal('auto'), z.strictObject({ address: z.ipv4(), prefix: z.number().int().min(8).max(29) })]).optional(),
  autoRenew: z.boolean().optional(),
});
const tuningRequest = z.strictObject({
  hostId,
  twinId,
  profileId: z.string().min(1).max(64).optional(),
  configPath: z.string().regex(/^\/.{1,1023}$/),
  parameter: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/),
  values: z.array(configValue).min(2).max(8),
  reloadArgv: z.array(z.string().min(1).max(4096)).min(1).max(64).optional(),
  port: guestPort,
  load: loadSettings,
  repetitions: z.number().int().min(5).max(50),
  maxErrorRatio: z.number().min(0).max(1).optional(),
  productionUrl: z.string().max(2048).optional(),
  caseDir: path.optional(),
});
const agentRunRequest = z.strictObject({
  hostId,
  twinId,
  agents: z.array(z.enum(['guest', 'node-exporter'])).min(1).max(2),
  seconds: z.number().int().min(5).max(3600),
  intervalSeconds: z.number().int().min(1).max(600),
  caseDir: path.optional(),
});

/** Requests carried over a transport (from the contract). `pathForDroppedFile` is absent: each adapter resolves files itself. */
export type { TransportRequestName };

/** The request table: exactly one handler per transport request of the contract, or it fails to compile. */
export const requestHandlers: { readonly [K in TransportRequestName]: Handler<K> } = {
  getAppInfo: handler(noArgs, (services) => services.app.info()),
  listJobs: handler(noArgs, async (services) => services.jobs.list()),
  // The contract answers null; whether a job was still running to cancel is not the caller's concern.
  cancelJob: handler(z.strictObject({ jobId: z.uuid() }), async (services, args) => void services.jobs.cancel(args.jobId)),
  listRecentCaptures: handler(noArgs, (services) => services.recent.list()),
  getSampleCapturePath: handler(noArgs, (services) => services.app.sampleCapturePath()),
  pickCapturePath: handler(noArgs, (services) => services.app.pickCapturePath()),
  openCapture: handler(z.strictObject({ path }), (services, args) => services.review.open(args.path)),
  closeCapture: handler(z.strictObject({ handle }), (services, args) => services.review.close(args.handle)),
  getProcesses: handler(z.strictObject({ handle }), (services, args) => services.review.processes(args.handle)),
  getFindings: handler(z.strictObject({ handle }), (services, args) => services.review.findings(args.handle)),
  getLaunchCapturePath: handler(noArgs, (services) => services.review.launchCapturePath()),
  queryProcesses: handler(processWindowQuery, (services, args) => services.review.queryProcesses(args)),
  getProcessDetail: handler(z.strictObject({ handle, pid, record: pid.optional(), revealSecrets: z.boolean() }), (services, args) =>
    services.review.processDetail(args.handle, args.pid, args.revealSecrets, args.record),
  ),
  getCaptureFacts: handler(z.strictObject({ handle }), (services, args) => services.review.facts(args.handle)),
  getSystemFacts: handler(z.strictObject({ handle }), (services, args) => services.review.systemFacts(args.handle)),
  getSockets: handler(z.strictObject({ handle }), (services, args) => services.review.sockets(args.handle)),
  getTriage: handler(z.strictObject({ handle }), (services, args) => services.review.triage(args.handle)),
  setTriage: handler(
    z.strictObject({ handle, findingId: z.string().min(1).max(256), state: z.enum(['new', 'confirmed', 'false-positive']), note: z.string().max(10_000) }),
    (services, args) => services.review.setTriage(args.handle, { findingId: args.findingId, state: args.state, note: args.note }),
  ),
  compareCaptures: handler(z.strictObject({ before: handle, after: handle }), (services, args) => services.review.compare(args.before, args.after)),
  exportReport: handler(z.strictObject({ handle, format: z.enum(['html', 'json', 'csv']) }), (services, args) =>
    services.review.exportReport(args.handle, args.format),
  ),
  readArtifact: handler(z.strictObject({ handle, path: z.string().min(1).max(1024), offset: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER) }), (services, args) =>
    services.review.readArtifact(args.handle, args.path, args.offset),
  ),
  listHosts: handler(noArgs, (services) => services.hosts.list()),
  getHost: handler(z.strictObject({ hostId }), (services, args) => services.hosts.get(args.hostId)),
  addHost: handler(z.strictObject({ host: hostForm }), (services, args) => services.hosts.add(args.host)),
  editHost: handler(z.strictObject({ hostId, host: hostForm }), (services, args) => services.hosts.edit(args.hostId, args.host)),
  removeHost: handler(z.strictObject({ hostId }), (services, args) => services.hosts.remove(args.hostId)),
  testHost: handler(z.strictObject({ hostId }), (services, args) => services.hosts.test(args.hostId)),
  connectHost: handler(z.strictObject({ hostId }), (services, args) => services.hosts.connect(args.hostId)),
  disconnectHost: handler(z.strictObject({ hostId }), (services, args) => services.hosts.disconnect(args.hostId)),
  listSessions: handler(noArgs, (services) => listSessionStates(services.hosts)),
  listVms: handler(z.strictObject({ hostId }), (services, args) => services.hosts.listVms(args.hostId)),
  answerHostKey: handler(z.strictObject({ promptId, accept: z.boolean() }), (services, args) => services.hosts.answerHostKey(args.promptId, args.accept)),
  answerSecret: handler(z.strictObject({ promptId, value: z.string().max(4096).nullable() }), (services, args) =>
    services.hosts.answerSecret(args.promptId, args.value),
  ),
  startCapture: handler(captureRequest, (services, args) => services.capture.start(args)),
  getCaptureOutcome: handler(z.strictObject({ jobId: z.uuid() }), (services, args) => services.capture.outcome(args.jobId)),
  getWorkstationKey: handler(noArgs, (services) => services.workstationKey.info()),
  setWorkstationKeyName: handler(z.strictObject({ name: z.string().max(128).nullable() }), (services, args) => services.workstationKey.setName(args.name)),
  startTwin: handler(twinRequest, (services, args) => services.twins.start(args)),
  listTwins: handler(z.strictObject({ hostId }), (services, args) => services.twins.list(args.hostId)),
  renewTwin: handler(z.strictObject({ hostId, twinId, ttlSeconds: z.number().int().min(60).max(86_400) }), (services, args) =>
    services.twins.renew(args.hostId, args.twinId, args.ttlSeconds),
  ),
  destroyTwin: handler(z.strictObject({ hostId, twinId }), (services, args) => services.twins.destroy(args.hostId, args.twinId)),
  openTwinForward: handler(z.strictObject({ hostId, twinId, guestPort }), (services, args) => services.twins.openForward(args.hostId, args.twinId, args.guestPort)),
  execInTwin: handler(
    z.strictObject({ hostId, twinId, argv: z.array(z.string().min(1).max(4096)).min(1).max(256), timeoutSeconds: z.number().int().min(1).max(3600).optional() }),
    (services, args) => services.twins.exec(args.hostId, args.twinId, args.argv, args.timeoutSeconds),
  ),
  listServiceProfiles: handler(noArgs, (services) => services.experiments.profiles()),
  startTuning: handler(tuningRequest, (services, args) => services.experiments.startTuning(args)),
  startAgentRun: handler(agentRunRequest, (services, args) => services.experiments.startAgentRun(args)),
  getExperimentOutcome: handler(z.strictObject({ jobId: z.uuid() }), (services, args) => services.experiments.outcome(args.jobId)),
  getExperiment: handler(z.strictObject({ handle }), (services, args) => services.review.experiment(args.handle)),
};

/** The names of every request a transport carries. */
export const transportRequestNames = Object.keys(requestHandlers) as TransportRequestName[];

/** True when `name` is a request of the table (own key only: `__proto__` and friends are not). */
export function isTransportRequestName(name: unknown): name is TransportRequestName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requestHandlers, name);
}
