import type { AgentRunRequest, ExperimentOutcome, ExperimentReport, ServiceProfile, TuningRequest } from '../../preload/api';
import type { ManifestCommand } from '../bundle/bundle-schema';
import type { BundleSigner } from '../bundle/signature';
import { WorkbenchFailure, type toWorkbenchError } from '../errors';
import { helperVersion } from '../helper-client/helper-messages';
import type { JobContext, JobRunner } from '../jobs/job-runner';
import type { SshConnection } from '../ssh/ssh-connect';
import { runAgents, type ToolkitOnHost } from './experiment-agents';
import { writeExperimentBundle, type ExperimentArtifact } from './experiment-bundle';
import { runTuning, type TuningResult } from './experiment-tuning';
import { MIN_REPETITIONS } from './tuning-schedule';
import { listServiceProfiles } from './service-profiles';
import { parseAddForward } from './twin-payloads';
import type { TwinService } from './twin-service';

/** What the experiment service is built from. */
export interface ExperimentServiceDeps {
  readonly jobs: JobRunner;
  readonly twins: TwinService;
  readonly connection: (hostId: string, signal?: AbortSignal) => Promise<SshConnection>;
  readonly hostAlias: (hostId: string) => Promise<string>;
  /** The helper's `list` entry the app last showed for a VM key (its uuid), or null. */
  readonly listedVm: (hostId: string, vmId: string) => unknown;
  /** Uploads (or finds) the in-guest toolkit on the host, for the agents it carries. */
  readonly toolkitOnHost: (hostId: string, context: JobContext) => Promise<ToolkitOnHost>;
  readonly caseDir: string;
  readonly actor: string;
  readonly toolVersion: string;
  readonly signer?: () => Promise<BundleSigner>;
}

/** Experiments on twins: live tuning and monitoring agents, each a job that ends in a capture. */
export interface ExperimentService {
  profiles(): Promise<readonly ServiceProfile[]>;
  startTuning(request: TuningRequest): Promise<{ readonly jobId: string }>;
  startAgentRun(request: AgentRunRequest): Promise<{ readonly jobId: string }>;
  outcome(jobId: string): Promise<ExperimentOutcome | null>;
  /** Waits for an experiment job (tests and the CLI). */
  finished(jobId: string): Promise<ExperimentOutcome>;
}

function listedUuid(entry: unknown): string | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const uuid = (entry as { uuid?: unknown }).uuid;
  return typeof uuid === 'string' ? uuid : null;
}

function tuningReport(result: TuningResult): ExperimentReport {
  return {
    kind: 'tuning',
    service: result.service,
    configPath: result.configPath,
    parameter: result.parameter,
    originalValue: result.originalValue,
    repetitions: result.repetitions,
    load: result.load,
    rows: result.rows,
    recommended: result.recommended,
    diff: result.diff,
    production: null,
  };
}

function checkTuning(request: TuningRequest): void {
  if (request.values.length < 2 || request.values.length > 8) throw new WorkbenchFailure('VALIDATION_FAILED', 'Give 2 to 8 candidate values.');
  if (new Set(request.values).size !== request.values.length) throw new WorkbenchFailure('VALIDATION_FAILED', 'The candidate values must be different.');
  if (request.repetitions < MIN_REPETITIONS) throw new WorkbenchFailure('VALIDATION_FAILED', `At least ${MIN_REPETITIONS} repetitions: fewer give no interval worth showing.`);
  if (!request.configPath.startsWith('/')) throw new WorkbenchFailure('VALIDATION_FAILED', 'The configuration file is an absolute path in the twin.');
}

export function createExperimentService(deps: ExperimentServiceDeps): ExperimentService {
  const outcomes = new Map<string, ExperimentOutcome>();
  const running = new Map<string, Promise<ExperimentOutcome>>();

  /** The twin's forward to `guestPort` on the host (added when the twin has none yet). */
  const hostPortFor = async (hostId: string, twinId: string, guestPort: number, context: JobContext): Promise<number> => {
    const twin = await deps.twins.get(hostId, twinId, context.signal);
    const existing = twin.forwards.find((forward) => forward.guestPort === guestPort);
    if (existing !== undefined) return existing.hostPort;
    const added = parseAddForward(await deps.twins.run(hostId, 'forward', { cloneId: twinId, guestPort }, context), await deps.hostAlias(hostId));
    return added.forward.hostPort;
  };

  /** Runs `work`, writes what it produced as a capture (also when it stopped early), records the outcome. */
  const start = async (
    hostId: string,
    twinId: string,
    title: string,
    definition: Record<string, unknown>,
    caseDir: string | undefined,
    work: (context: JobContext) => Promise<{ report: ExperimentReport; artifacts: ExperimentArtifact[]; stoppedBy?: ReturnType<typeof toWorkbenchError> }>,
  ): Promise<{ jobId: string }> => {
    const alias = await deps.hostAlias(hostId);
    const { jobId, done } = deps.jobs.start('experiment', `${title} on ${alias}`, async (context) => {
      const startedAt = new Date().toISOString();
      const connection = await deps.connection(hostId, context.signal);
      const twin = await deps.twins.get(hostId, twinId, context.signal);
      const produced = await work(context);
      context.progress(0.97, 'Writing the capture');
      const commands: ManifestCommand[] = [];
      const written = await writeExperimentBundle({
        caseDir: caseDir ?? deps.caseDir,
        toolVersion: deps.toolVersion,
        helperVersion,
        host: { name: alias, hostKeySha256: connection.hostKeySha256 },
        vm: { id: twin.vmId, name: twin.vmName ?? twin.vmId, uuid: listedUuid(deps.listedVm(hostId, twin.vmId)) },
        twinId,
        startedAt,
        actor: deps.actor,
        definition,
        report: produced.report,
        ...(produced.stoppedBy === undefined ? {} : { stoppedBy: produced.stoppedBy }),
        artifacts: produced.artifacts,
        commands,
        ...(deps.signer === undefined ? {} : { signer: deps.signer }),
      });
      const outcome: ExperimentOutcome = {
        jobId: context.jobId,
        bundlePath: written.bundlePath,
        verified: written.verified,
        report: produced.report,
        ...(produced.stoppedBy === undefined ? {} : { error: produced.stoppedBy }),
      };
      outcomes.set(context.jobId, outcome);
      if (produced.stoppedBy !== undefined) {
        // The capture keeps what was measured; the job still says the experiment did not finish.
        throw new WorkbenchFailure(produced.stoppedBy.code, `${produced.stoppedBy.message} What was measured is in ${written.bundlePath}.`);
      }
      context.progress(1, `Done: ${written.bundlePath}`);
      return outcome;
    });
    running.set(jobId, done);
    done.catch(() => undefined);
    return { jobId };
  };

  return {
    profiles: async () => listServiceProfiles(),
    async startTuning(request) {
      checkTuning(request);
      const alias = await deps.hostAlias(request.hostId);
      return start(request.hostId, request.twinId, `Tune ${request.parameter} of ${request.configPath}`, { kind: 'tuning', ...request }, request.caseDir, async (context) => {
        const hostPort = await hostPortFor(request.hostId, request.twinId, request.port, context);
        const result = await runTuning(deps.twins, request, alias, context, hostPort);
        const artifacts: ExperimentArtifact[] = [
          { path: 'artifacts/tuning/runs.json', mediaType: 'application/json', role: 'metrics', content: JSON.stringify({ seed: result.seed, runs: result.runs }, null, 2) },
          { path: 'artifacts/tuning/original.conf', mediaType: 'text/plain', role: 'file', content: result.originalConfig },
          ...(result.recommendedConfig === null ? [] : [{ path: 'artifacts/tuning/recommended.conf', mediaType: 'text/plain', role: 'file' as const, content: result.recommendedConfig }]),
          ...(result.diff === '' ? [] : [{ path: 'artifacts/tuning/recommended.diff', mediaType: 'text/x-diff', role: 'other' as const, content: result.diff }]),
        ];
        return { report: tuningReport(result), artifacts, ...(result.stoppedBy === undefined ? {} : { stoppedBy: result.stoppedBy }) };
      });
    },
    async startAgentRun(request) {
      if (request.agents.length === 0) throw new WorkbenchFailure('VALIDATION_FAILED', 'Pick at least one agent.');
      if (request.seconds < 5 || request.seconds > 3600) throw new WorkbenchFailure('VALIDATION_FAILED', 'Run agents for 5 s to 1 h.');
      if (request.intervalSeconds < 1 || request.intervalSeconds > request.seconds / 2) throw new WorkbenchFailure('VALIDATION_FAILED', 'The interval is 1 s to half the run.');
      const alias = await deps.hostAlias(request.hostId);
      return start(request.hostId, request.twinId, 'Monitoring agents', { kind: 'agents', ...request }, request.caseDir, async (context) => {
        const result = await runAgents(
          {
            twins: deps.twins,
            alias,
            connection: () => deps.connection(request.hostId, context.signal),
            toolkitOnHost: () => deps.toolkitOnHost(request.hostId, context),
            hostPortFor: (guestPort) => hostPortFor(request.hostId, request.twinId, guestPort, context),
          },
          request,
          context,
        );
        return { report: { kind: 'agents', agents: result.agents }, artifacts: result.artifacts, ...(result.stoppedBy === undefined ? {} : { stoppedBy: result.stoppedBy }) };
      });
    },
    outcome: async (jobId) => outcomes.get(jobId) ?? null,
    async finished(jobId) {
      const done = running.get(jobId);
      if (done === undefined) throw new WorkbenchFailure('NOT_FOUND', `No experiment job ${jobId}.`);
      return done;
    },
  };
}
