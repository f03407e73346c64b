import type { AgentRunRequest, Series } from '../../preload/api';
import { WorkbenchFailure, isAbortError, toWorkbenchError } from '../errors';
import type { JobContext } from '../jobs/job-runner';
import type { SshConnection } from '../ssh/ssh-connect';
import { seriesFromSadf, seriesFromScrapeTexts } from './agent-series';
import type { ExperimentArtifact } from './experiment-bundle';
import { scrapeThroughSsh } from './metrics-scrape';
import { parseExec } from './twin-payloads';
import type { TwinService } from './twin-service';

/** The toolkit's folder on the host (toolkit.tar.gz, its manifest, busybox), as the upload left it. */
export interface ToolkitOnHost {
  readonly remoteDir: string;
  /** node_exporter on the host, uploaded beside the toolkit. */
  readonly nodeExporterPath: string;
}

/** What an agent run needs beyond the twin service. */
export interface AgentRunDeps {
  readonly twins: TwinService;
  readonly alias: string;
  readonly connection: () => Promise<SshConnection>;
  readonly toolkitOnHost: () => Promise<ToolkitOnHost>;
  readonly hostPortFor: (guestPort: number) => Promise<number>;
}

/** One agent's result, as the report shows it. */
export interface AgentResult {
  readonly agent: string;
  readonly title: string;
  readonly series: readonly Series[];
  readonly error?: string;
}

/** The guest port the toolkit's node_exporter listens on inside the twin. */
export const NODE_EXPORTER_PORT = 9100;

// The toolkit's own files in the twin (resources/helper/civic_helper/toolkit_plan.json's layout): the
// exporter runs on the toolkit's loader and libraries, under `env -i`, so nothing of the guest's
// environment (LD_PRELOAD included) reaches it.
const TOOLKIT = '/run/civic';
/** Where the exporter goes in the twin: beside the toolkit's tmpfs, not in it (it is not in the payload). */
const NODE_EXPORTER_IN_TWIN = '/run/civic-node-exporter';
function nodeExporterArgv(seconds: number): string[] {
  return [
    `${TOOLKIT}/bin/busybox`, 'env', '-i',
    `${TOOLKIT}/bin/busybox`, 'timeout', String(seconds),
    // The loader maps the file itself, so it needs no exec bit (file-put writes plain files).
    `${TOOLKIT}/lib/ld-linux-x86-64.so.2`, '--library-path', `${TOOLKIT}/lib`, NODE_EXPORTER_IN_TWIN,
    `--web.listen-address=:${NODE_EXPORTER_PORT}`,
    // The collectors that read files only: no systemd, no D-Bus, nothing the twin may lack or block on.
    '--collector.disable-defaults',
    '--collector.cpu', '--collector.meminfo', '--collector.loadavg', '--collector.netdev', '--collector.diskstats', '--collector.stat', '--collector.vmstat', '--collector.filesystem',
  ];
}

// Where distributions install sysstat's collector: Debian and Ubuntu, then RHEL and SUSE.
const SADC_PATHS = ['/usr/lib/sysstat/sadc', '/usr/lib64/sa/sadc', '/usr/lib/sa/sadc', '/usr/libexec/sa/sadc'];

const decode = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8');

/** sysstat's collector from the guest's own files, run in the twin for the run's length, read back with `sadf -d`. */
async function runGuestSysstat(deps: AgentRunDeps, request: AgentRunRequest, context: JobContext, progress: (share: number, step: string) => void): Promise<{ result: AgentResult; artifacts: ExperimentArtifact[] }> {
  const exec = async (path: string, args: readonly string[], timeoutSeconds: number) =>
    parseExec(await deps.twins.run(request.hostId, 'exec', { cloneId: request.twinId, path, args, timeoutSeconds }, context), deps.alias);
  const found = await exec('/bin/sh', ['-c', `for p in ${SADC_PATHS.join(' ')}; do [ -x "$p" ] && echo "$p" && exit 0; done; exit 1`], 30);
  const sadc = decode(found.stdoutBase64).trim();
  if (found.exitCode !== 0 || sadc === '') {
    return { result: { agent: 'guest', title: "The guest's own agent (sysstat)", series: [], error: 'The guest has no sysstat collector (sadc) installed.' }, artifacts: [] };
  }
  const data = `/tmp/civic-sa-${request.twinId}.data`;
  const samples = Math.max(2, Math.floor(request.seconds / request.intervalSeconds));
  progress(0.1, `Running the guest's ${sadc} in the twin for ${samples * request.intervalSeconds} s`);
  const ran = await exec(sadc, [String(request.intervalSeconds), String(samples), data], samples * request.intervalSeconds + 60);
  if (ran.exitCode !== 0) {
    return { result: { agent: 'guest', title: "The guest's own agent (sysstat)", series: [], error: `sadc failed: ${decode(ran.stderrBase64).trim() || `exit ${String(ran.exitCode)}`}` }, artifacts: [] };
  }
  const read = await exec('/bin/sh', ['-c', 'sadf -d "$1" -- -u -r -q; status=$?; rm -f "$1"; exit $status', 'civic-sadf', data], 60);
  const csv = decode(read.stdoutBase64);
  const artifacts: ExperimentArtifact[] = [{ path: 'artifacts/agents/sysstat-sadf.csv', mediaType: 'text/csv', role: 'metrics', content: csv }];
  if (read.exitCode !== 0) {
    return { result: { agent: 'guest', title: "The guest's own agent (sysstat)", series: [], error: `sadf failed: ${decode(read.stderrBase64).trim()}` }, artifacts };
  }
  const parsed = seriesFromSadf(csv);
  return { result: { agent: 'guest', title: `The guest's own agent (sysstat, ${sadc})`, series: parsed.series }, artifacts };
}

/** node_exporter from the toolkit, started in the twin by `collect`, scraped through a forward from here. */
async function runNodeExporter(deps: AgentRunDeps, request: AgentRunRequest, context: JobContext, progress: (share: number, step: string) => void): Promise<{ result: AgentResult; artifacts: ExperimentArtifact[] }> {
  const hostPort = await deps.hostPortFor(NODE_EXPORTER_PORT);
  progress(0.02, 'Putting the toolkit on the host');
  const toolkit = await deps.toolkitOnHost();
  progress(0.04, 'Putting node_exporter into the twin');
  await deps.twins.run(request.hostId, 'file-put', { cloneId: request.twinId, path: NODE_EXPORTER_IN_TWIN, source: toolkit.nodeExporterPath }, context);
  // The toolkit goes into the twin first (about 10 s under TCG); the exporter then runs for the run's length.
  const lifetime = request.seconds + 120;
  // The collect holds the twin's session while the exporter runs; it is cancelled once the scrapes are in
  // (the exporter's own `timeout` then ends it in the twin).
  const collectControl = new AbortController();
  const stopCollect = (): void => collectControl.abort();
  context.signal.addEventListener('abort', stopCollect, { once: true });
  const collect = deps.twins
    .run(request.hostId, 'collect', {
      cloneId: request.twinId,
      toolkit: toolkit.remoteDir,
      steps: [{ id: 'command', name: 'node-exporter', argv: nodeExporterArgv(lifetime), seconds: lifetime + 30 }],
    }, { jobId: context.jobId, signal: collectControl.signal, progress: () => undefined })
    .then(
      () => null,
      (error: unknown) => error,
    );
  try {
    return await scrapeNodeExporter(deps, request, context, progress, hostPort, collect);
  } finally {
    context.signal.removeEventListener('abort', stopCollect);
    stopCollect();
    await collect;
    // The twin is left as it was given: the exporter's file goes (best effort: a twin that stopped answering keeps it until its lease ends).
    await deps.twins
      .run(request.hostId, 'exec', { cloneId: request.twinId, path: '/bin/rm', args: ['-f', NODE_EXPORTER_IN_TWIN], timeoutSeconds: 30 }, { jobId: context.jobId, signal: AbortSignal.timeout(60_000), progress: () => undefined })
      .catch(() => undefined);
  }
}

async function scrapeNodeExporter(
  deps: AgentRunDeps,
  request: AgentRunRequest,
  context: JobContext,
  progress: (share: number, step: string) => void,
  hostPort: number,
  collect: Promise<unknown>,
): Promise<{ result: AgentResult; artifacts: ExperimentArtifact[] }> {
  let collectEnded: unknown = undefined;
  void collect.then((outcome) => {
    collectEnded = outcome ?? new WorkbenchFailure('EXPERIMENT_FAILED', 'node_exporter in the twin ended early.');
  });
  const connection = await deps.connection();
  const scrapes: { at: number; text: string }[] = [];
  const started = Date.now();
  let firstError: unknown = null;
  // Wait for the exporter to answer (the toolkit is being injected), then scrape on the interval.
  while (scrapes.length === 0 && Date.now() - started < 150_000) {
    if (context.signal.aborted) throw new WorkbenchFailure('CANCELLED', 'The agent run was cancelled.');
    if (collectEnded !== undefined) throw new WorkbenchFailure('EXPERIMENT_FAILED', `node_exporter could not be started in the twin: ${toWorkbenchError(collectEnded).message}`);
    try {
      scrapes.push({ at: Date.now(), text: await scrapeThroughSsh(connection, hostPort, '/metrics') });
    } catch (error) {
      firstError = error;
      progress(0.05, 'Waiting for node_exporter in the twin to answer');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  if (scrapes.length === 0) throw new WorkbenchFailure('TWIN_UNRESPONSIVE', `node_exporter in the twin never answered: ${toWorkbenchError(firstError).message}`);
  const scrapeStart = Date.now();
  while (Date.now() - scrapeStart < request.seconds * 1000) {
    if (context.signal.aborted) break;
    const next = scrapeStart + scrapes.length * request.intervalSeconds * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    progress(0.1 + (0.85 * (Date.now() - scrapeStart)) / (request.seconds * 1000), `Scraping node_exporter through the twin's forward (${scrapes.length} scrapes)`);
    try {
      scrapes.push({ at: Date.now(), text: await scrapeThroughSsh(connection, hostPort, '/metrics') });
    } catch (error) {
      if (isAbortError(error)) break;
      return {
        result: { agent: 'node-exporter', title: 'node_exporter (from the toolkit)', series: seriesFromScrapeTexts(scrapes.map((scrape) => ({ timeMs: scrape.at, text: scrape.text }))).series, error: `A scrape failed: ${toWorkbenchError(error).message}` },
        artifacts: scrapeArtifacts(scrapes),
      };
    }
  }
  return { result: { agent: 'node-exporter', title: 'node_exporter (from the toolkit)', series: seriesFromScrapeTexts(scrapes.map((scrape) => ({ timeMs: scrape.at, text: scrape.text }))).series }, artifacts: scrapeArtifacts(scrapes) };
}

function scrapeArtifacts(scrapes: readonly { at: number; text: string }[]): ExperimentArtifact[] {
  return [{ path: 'artifacts/agents/node-exporter-scrapes.json', mediaType: 'application/json', role: 'metrics', content: JSON.stringify(scrapes.map((scrape) => ({ at: new Date(scrape.at).toISOString(), text: scrape.text }))) }];
}

/** Runs each agent asked for, one after the other (each gets the twin alone), keeping what each produced. */
export async function runAgents(deps: AgentRunDeps, request: AgentRunRequest, context: JobContext): Promise<{ agents: AgentResult[]; artifacts: ExperimentArtifact[]; stoppedBy?: ReturnType<typeof toWorkbenchError> }> {
  const agents: AgentResult[] = [];
  const artifacts: ExperimentArtifact[] = [];
  const kinds = [...new Set(request.agents)];
  try {
    for (const [index, kind] of kinds.entries()) {
      const progress = (share: number, step: string): void => context.progress((index + Math.min(1, share)) / kinds.length * 0.95, step);
      const produced = kind === 'guest' ? await runGuestSysstat(deps, request, context, progress) : await runNodeExporter(deps, request, context, progress);
      agents.push(produced.result);
      artifacts.push(...produced.artifacts);
    }
    return { agents, artifacts };
  } catch (error) {
    return { agents, artifacts, stoppedBy: isAbortError(error) ? { code: 'CANCELLED', message: 'The agent run was cancelled.', hint: '' } : toWorkbenchError(error) };
  }
}
