import { vi } from 'vitest';
import type {
  JobProgressEvent,
  Result,
  SessionStateEvent,
  WorkbenchApi,
  WorkbenchError,
} from '../../../../preload/api';
import { sampleFindings, sampleOverview, sampleProcesses } from './sample-capture';

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
  listenerCount(): number;
}

/** Creates a fake contract; `overrides` replace single methods. */
export function createFakeApi(overrides: Partial<WorkbenchApi> = {}): FakeApi {
  const jobListeners = new Set<(event: JobProgressEvent) => void>();
  const sessionListeners = new Set<(event: SessionStateEvent) => void>();
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
    listHosts: vi.fn(async () => ok([])),
    onJobProgress: vi.fn((listener: (event: JobProgressEvent) => void) => {
      jobListeners.add(listener);
      return () => jobListeners.delete(listener);
    }),
    onSessionState: vi.fn((listener: (event: SessionStateEvent) => void) => {
      sessionListeners.add(listener);
      return () => sessionListeners.delete(listener);
    }),
    ...overrides,
  };
  return {
    api,
    emitJobProgress: (event) => jobListeners.forEach((listener) => listener(event)),
    emitSessionState: (event) => sessionListeners.forEach((listener) => listener(event)),
    listenerCount: () => jobListeners.size + sessionListeners.size,
  };
}
