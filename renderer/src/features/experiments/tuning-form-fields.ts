import type { AgentRunRequest, LoadSettings, ServiceProfile, TuningRequest } from '../../../../preload/api';

/** The live-tuning form as typed: every field a string, lists comma separated. */
export interface TuningDraft {
  /** A known profile's id, or '' for a custom `key = value` file. */
  readonly profileId: string;
  readonly configPath: string;
  readonly parameter: string;
  readonly values: string;
  /** Run in the twin after each edit, split on spaces; empty: the profile's own, else none. */
  readonly reloadCommand: string;
  readonly port: string;
  readonly repetitions: string;
  readonly mode: LoadSettings['mode'];
  readonly concurrency: string;
  readonly rate: string;
  readonly warmupSeconds: string;
  readonly durationSeconds: string;
  readonly sourceKind: 'paths' | 'access-log';
  readonly paths: string;
  readonly logPath: string;
  readonly lastN: string;
}

/** Fields of the tuning form that can be at fault. */
export type TuningField = Exclude<keyof TuningDraft, 'profileId' | 'mode' | 'sourceKind'>;

/** Seconds each measurement spends on reloading the service, besides warm-up and the measurement. */
export const reloadAllowanceSeconds = 3;
export const minValues = 2;
export const maxValues = 8;
export const minRepetitions = 5;

/** A custom form: nothing known about the service yet; the load defaults the issue asks for. */
export const emptyTuningDraft: TuningDraft = {
  profileId: '',
  configPath: '',
  parameter: '',
  values: '',
  reloadCommand: '',
  port: '8080',
  repetitions: String(minRepetitions),
  mode: 'closed',
  concurrency: '16',
  rate: '100',
  warmupSeconds: '2',
  durationSeconds: '5',
  sourceKind: 'paths',
  paths: '/',
  logPath: '',
  lastN: '1000',
};

/** The draft with a profile's file, first knob, its candidates, port and URL path filled in. */
export function draftFromProfile(draft: TuningDraft, profile: ServiceProfile, parameterName?: string): TuningDraft {
  const parameter = profile.parameters.find((candidate) => candidate.name === parameterName) ?? profile.parameters[0];
  return {
    ...draft,
    profileId: profile.id,
    configPath: profile.configPath,
    parameter: parameter?.name ?? '',
    values: parameter?.candidates.join(', ') ?? '',
    reloadCommand: '',
    port: String(profile.port),
    paths: profile.urlPath,
  };
}

/** The words of a comma-separated list, trimmed, blanks dropped. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((word) => word.trim())
    .filter((word) => word !== '');
}

function integerIn(text: string, min: number, max: number): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,7}$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value >= min && value <= max ? value : null;
}

/** Total seconds of a tuning run: values × repetitions × (warm-up + measurement + reload). */
export function estimateTuningSeconds(values: number, repetitions: number, warmupSeconds: number, durationSeconds: number): number {
  return values * repetitions * (warmupSeconds + durationSeconds + reloadAllowanceSeconds);
}

/** The parts of the estimate a draft gives, or null while the fields it needs are not numbers in range. */
export function estimateOfDraft(draft: TuningDraft): { values: number; repetitions: number; warmupSeconds: number; durationSeconds: number; seconds: number } | null {
  const values = new Set(splitList(draft.values)).size;
  const repetitions = integerIn(draft.repetitions, minRepetitions, 100);
  const warmupSeconds = integerIn(draft.warmupSeconds, 0, 600);
  const durationSeconds = integerIn(draft.durationSeconds, 1, 3600);
  if (values < minValues || values > maxValues || repetitions === null || warmupSeconds === null || durationSeconds === null) return null;
  return { values, repetitions, warmupSeconds, durationSeconds, seconds: estimateTuningSeconds(values, repetitions, warmupSeconds, durationSeconds) };
}

/** Checks a draft; returns the request to send, or a message per field at fault. */
export function validateTuningDraft(
  draft: TuningDraft,
  target: { readonly hostId: string; readonly twinId: string },
): { request: TuningRequest } | { errors: Partial<Record<TuningField, string>> } {
  const errors: Partial<Record<TuningField, string>> = {};
  const configPath = draft.configPath.trim();
  if (!configPath.startsWith('/') || configPath.length > 4096) errors.configPath = 'An absolute path in the twin, such as /etc/nginx/nginx.conf.';
  const parameter = draft.parameter.trim();
  if (parameter === '' || parameter.length > 200 || /[\s=]/.test(parameter)) errors.parameter = 'The name of one setting, without spaces or "=".';
  const words = splitList(draft.values);
  const values = [...new Set(words)];
  if (values.length !== words.length) errors.values = 'Each value once.';
  else if (values.length < minValues || values.length > maxValues) errors.values = `From ${minValues} to ${maxValues} values, separated by commas.`;
  const reloadArgv = draft.reloadCommand.trim() === '' ? [] : draft.reloadCommand.trim().split(/\s+/);
  if (draft.profileId === '' && reloadArgv.length === 0) errors.reloadCommand = 'The command that makes the service read its file again, such as nginx -s reload.';
  const port = integerIn(draft.port, 1, 65535);
  if (port === null) errors.port = 'A port from 1 to 65535.';
  const repetitions = integerIn(draft.repetitions, minRepetitions, 100);
  if (repetitions === null) errors.repetitions = `At least ${minRepetitions} (up to 100): fewer cannot tell noise from a difference.`;
  const concurrency = integerIn(draft.concurrency, 1, 10000);
  if (draft.mode === 'closed' && concurrency === null) errors.concurrency = 'Requests in flight, from 1 to 10000.';
  const rate = integerIn(draft.rate, 1, 1000000);
  if (draft.mode === 'open' && rate === null) errors.rate = 'Requests per second, at least 1.';
  const warmupSeconds = integerIn(draft.warmupSeconds, 0, 600);
  if (warmupSeconds === null) errors.warmupSeconds = 'Seconds from 0 to 600.';
  const durationSeconds = integerIn(draft.durationSeconds, 1, 3600);
  if (durationSeconds === null) errors.durationSeconds = 'Seconds from 1 to 3600.';
  const paths = splitList(draft.paths);
  if (draft.sourceKind === 'paths' && (paths.length === 0 || paths.some((path) => !path.startsWith('/')))) errors.paths = 'One or more URL paths starting with /, separated by commas.';
  const logPath = draft.logPath.trim();
  if (draft.sourceKind === 'access-log' && !logPath.startsWith('/')) errors.logPath = 'The access log\u2019s absolute path in the twin.';
  const lastN = integerIn(draft.lastN, 1, 1000000);
  if (draft.sourceKind === 'access-log' && lastN === null) errors.lastN = 'How many of its last requests, at least 1.';
  if (Object.keys(errors).length > 0 || port === null || repetitions === null || warmupSeconds === null || durationSeconds === null) return { errors };
  const load: LoadSettings = {
    mode: draft.mode,
    concurrency: concurrency ?? 16,
    ...(draft.mode === 'open' && rate !== null ? { rate } : {}),
    warmupSeconds,
    durationSeconds,
    source: draft.sourceKind === 'paths' ? { kind: 'paths', paths } : { kind: 'access-log', logPath, lastN: lastN ?? 1000 },
  };
  return {
    request: {
      hostId: target.hostId,
      twinId: target.twinId,
      ...(draft.profileId === '' ? {} : { profileId: draft.profileId }),
      configPath,
      parameter,
      values,
      ...(reloadArgv.length === 0 ? {} : { reloadArgv }),
      port,
      load,
      repetitions,
    },
  };
}

/** The monitoring-agents form as typed. */
export interface AgentsDraft {
  readonly guest: boolean;
  readonly nodeExporter: boolean;
  readonly seconds: string;
  readonly intervalSeconds: string;
}

/** Fields of the agents form that can be at fault. */
export type AgentsField = 'agents' | 'seconds' | 'intervalSeconds';

/** Both agents, 30 s sampled every 2 s. */
export const emptyAgentsDraft: AgentsDraft = { guest: true, nodeExporter: true, seconds: '30', intervalSeconds: '2' };

/** Checks an agents draft; returns the request, or a message per field at fault. */
export function validateAgentsDraft(
  draft: AgentsDraft,
  target: { readonly hostId: string; readonly twinId: string },
): { request: AgentRunRequest } | { errors: Partial<Record<AgentsField, string>> } {
  const errors: Partial<Record<AgentsField, string>> = {};
  const agents: AgentRunRequest['agents'][number][] = [...(draft.guest ? (['guest'] as const) : []), ...(draft.nodeExporter ? (['node-exporter'] as const) : [])];
  if (agents.length === 0) errors.agents = 'Pick at least one agent.';
  const seconds = integerIn(draft.seconds, 1, 3600);
  if (seconds === null) errors.seconds = 'Seconds from 1 to 3600.';
  const intervalSeconds = integerIn(draft.intervalSeconds, 1, 60);
  if (intervalSeconds === null) errors.intervalSeconds = 'Seconds from 1 to 60.';
  else if (seconds !== null && intervalSeconds > seconds) errors.intervalSeconds = 'No longer than the run.';
  if (Object.keys(errors).length > 0 || seconds === null || intervalSeconds === null) return { errors };
  return { request: { hostId: target.hostId, twinId: target.twinId, agents, seconds, intervalSeconds } };
}
