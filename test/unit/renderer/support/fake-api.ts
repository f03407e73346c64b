import { vi } from 'vitest';
import type {
  JobProgressEvent,
  ProcessWindowQuery,
  TriageState,
  Result,
  SessionStateEvent,
  TwinsChangedEvent,
  WorkbenchApi,
  WorkbenchError,
} from '../../../../preload/api';
import { sampleFacts, sampleFindings, sampleOverview, sampleProcessDetail, sampleProcessWindow, sampleProcesses } from './sample-capture';

/** A successful result. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** A failed result with a code. */
export function failed(code: WorkbenchError['code'], message = 'It failed.'): Result<never> {
  return { ok: false, error: { code, message, hint: `Hint for ${code}.` } };
}

/** A fake contract serving the sample capture, with a way to emit events. */
export interface FakeApi {
  readonly api: WorkbenchApi;
  emitJobProgress(event: JobProgressEvent): void;
  emitSessionState(event: SessionStateEvent): void;
  emitTwinsChanged(event: TwinsChangedEvent): void;
  listenerCount(): number;
}

/** Creates a fake contract; `overrides` replace single methods. */
export function createFakeApi(overrides: Partial<WorkbenchApi> = {}): FakeApi {
  const jobListeners = new Set<(event: JobProgressEvent) => void>();
  const sessionListeners = new Set<(event: SessionStateEvent) => void>();
  const twinsListeners = new Set<(event: TwinsChangedEvent) => void>();
  const api: WorkbenchApi = {
    getAppInfo: vi.fn(async () =>
      ok({ name: 'Civic Workbench', version: '0.1.0', transport: 'web' as const, platform: 'linux', hasNativeDialogs: false }),
    ),
    listJobs: vi.fn(async () => ok([])),
    cancelJob: vi.fn(async () => ok(null)),
    listRecentCaptures: vi.fn(async () => ok([])),
    getSampleCapturePath: vi.fn(async () => ok(sampleOverview.path)),
    pickCapturePath: vi.fn(async () => ok(null)),
    pathForDroppedFile: vi.fn(async (file: File) => ok(`/uploads/${file.name}`)),
    openCapture: vi.fn(async () => ok(sampleOverview)),
    closeCapture: vi.fn(async () => ok(null)),
    getProcesses: vi.fn(async () => ok(sampleProcesses)),
    getFindings: vi.fn(async () => ok(sampleFindings)),
    getLaunchCapturePath: vi.fn(async () => ok(null)),
    queryProcesses: vi.fn(async (args: ProcessWindowQuery) => ok(sampleProcessWindow(args))),
    getProcessDetail: vi.fn(async (args: { handle: string; pid: number; record?: number; revealSecrets: boolean }) =>
      sampleProcessDetail(args.pid, args.revealSecrets, args.record),
    ),
    getCaptureFacts: vi.fn(async () => ok(sampleFacts)),
    getSystemFacts: vi.fn(async () => ok(null)),
    getSockets: vi.fn(async () => ok([])),
    getTriage: vi.fn(async () => ok({ location: 'beside-capture' as const, path: `${sampleOverview.path}.triage.json`, entries: [] })),
    setTriage: vi.fn(async (args: { findingId: string; state: TriageState; note: string }) =>
      ok({
        location: 'beside-capture' as const,
        path: `${sampleOverview.path}.triage.json`,
        entries: [{ findingId: args.findingId, state: args.state, note: args.note, updatedAt: '2026-06-01T00:00:00.000Z' }],
      }),
    ),
    compareCaptures: vi.fn(async () => failed('NOT_SUPPORTED')),
    exportReport: vi.fn(async () => ok({ fileName: 'report.html', mediaType: 'text/html', content: '<!DOCTYPE html>' })),
    readArtifact: vi.fn(async () => failed('NOT_SUPPORTED')),
    listHosts: vi.fn(async () => ok([])),
    getHost: vi.fn(async () => failed('NOT_FOUND')),
    addHost: vi.fn(async () => failed('NOT_SUPPORTED')),
    editHost: vi.fn(async () => failed('NOT_SUPPORTED')),
    removeHost: vi.fn(async () => ok(null)),
    testHost: vi.fn(async () => failed('NOT_SUPPORTED')),
    connectHost: vi.fn(async () => failed('NOT_SUPPORTED')),
    disconnectHost: vi.fn(async () => ok(null)),
    listSessions: vi.fn(async () => ok([])),
    listVms: vi.fn(async () => failed('NOT_SUPPORTED')),
    answerHostKey: vi.fn(async () => ok(null)),
    answerSecret: vi.fn(async () => ok(null)),
    startCapture: vi.fn(async () => failed('NOT_SUPPORTED')),
    getCaptureOutcome: vi.fn(async () => ok(null)),
    getWorkstationKey: vi.fn(async () => failed('NOT_SUPPORTED')),
    setWorkstationKeyName: vi.fn(async () => failed('NOT_SUPPORTED')),
    startTwin: vi.fn(async () => failed('NOT_SUPPORTED')),
    listTwins: vi.fn(async () => ok([])),
    renewTwin: vi.fn(async () => failed('NOT_SUPPORTED')),
    destroyTwin: vi.fn(async () => ok(null)),
    openTwinForward: vi.fn(async () => failed('NOT_SUPPORTED')),
    execInTwin: vi.fn(async () => failed('NOT_SUPPORTED')),
    listServiceProfiles: vi.fn(async () => ok([])),
    startTuning: vi.fn(async () => failed('NOT_SUPPORTED')),
    startAgentRun: vi.fn(async () => failed('NOT_SUPPORTED')),
    getExperimentOutcome: vi.fn(async () => ok(null)),
    getExperiment: vi.fn(async () => ok(null)),
    onJobProgress: vi.fn((listener: (event: JobProgressEvent) => void) => {
      jobListeners.add(listener);
      return () => jobListeners.delete(listener);
    }),
    onSessionState: vi.fn((listener: (event: SessionStateEvent) => void) => {
      sessionListeners.add(listener);
      return () => sessionListeners.delete(listener);
    }),
    onHostKeyPrompt: vi.fn(() => () => undefined),
    onSecretPrompt: vi.fn(() => () => undefined),
    onHostNotice: vi.fn(() => () => undefined),
    onTwinsChanged: vi.fn((listener: (event: TwinsChangedEvent) => void) => {
      twinsListeners.add(listener);
      return () => twinsListeners.delete(listener);
    }),
    ...overrides,
  };
  return {
    api,
    emitJobProgress: (event) => jobListeners.forEach((listener) => listener(event)),
    emitSessionState: (event) => sessionListeners.forEach((listener) => listener(event)),
    emitTwinsChanged: (event) => twinsListeners.forEach((listener) => listener(event)),
    listenerCount: () => jobListeners.size + sessionListeners.size,
  };
}
