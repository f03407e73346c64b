import { describe, expect, it } from 'vitest';
import type { JobSnapshot } from '../../../../preload/api';
import { createJobRunner } from '../../../../main/jobs/job-runner';
import { WorkbenchFailure } from '../../../../main/errors';

describe('job runner', () => {
  it('reports monotonic progress and success', async () => {
    const seen: JobSnapshot[] = [];
    const runner = createJobRunner((job) => seen.push(job));
    const result = await runner.run('open-capture', 'Open x', async (context) => {
      context.progress(0.5, 'Hashing');
      context.progress(0.2, 'Going backwards is ignored');
      context.progress(7, 'Clamped');
      return 42;
    });
    expect(result).toBe(42);
    expect(seen.map((job) => job.value)).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(seen.at(-1)).toMatchObject({ state: 'succeeded', value: 1 });
  });

  it('cancels through the AbortSignal and runs the work cleanup', async () => {
    const runner = createJobRunner(() => undefined);
    let cleaned = false;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const { jobId, done } = runner.start('clone', 'Clone', async (context) => {
      try {
        started();
        await new Promise((_resolve, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason)));
      } finally {
        cleaned = true;
      }
    });
    await running;
    expect(runner.cancel(jobId)).toBe(true);
    await expect(done).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(cleaned).toBe(true);
    expect(runner.list().find((job) => job.jobId === jobId)).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED' } });
    expect(runner.cancel(jobId)).toBe(false);
  });

  it('records an expected failure with its code and hint', async () => {
    const runner = createJobRunner(() => undefined);
    const failing = runner.run('open-capture', 'Open', async () => {
      throw new WorkbenchFailure('BUNDLE_TRUNCATED', 'The capture ends early.', { subject: 'x.civic' });
    });
    await expect(failing).rejects.toBeInstanceOf(WorkbenchFailure);
    expect(runner.list()[0]).toMatchObject({ state: 'failed', error: { code: 'BUNDLE_TRUNCATED', subject: 'x.civic' } });
  });

  it('shutdown aborts every running job and waits for it', async () => {
    const runner = createJobRunner(() => undefined);
    let cleaned = 0;
    for (let index = 0; index < 3; index += 1) {
      void runner
        .start('collect', `Job ${index}`, async (context) => {
          try {
            await new Promise((_resolve, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason)));
          } finally {
            cleaned += 1;
          }
        })
        .done.catch(() => undefined);
    }
    await runner.shutdown();
    expect(cleaned).toBe(3);
    expect(runner.list().every((job) => job.state === 'cancelled')).toBe(true);
  });
});

describe('job runner and late cancels', () => {
  it('keeps reporting rollback progress after a cancel', async () => {
    const seen: JobSnapshot[] = [];
    const runner = createJobRunner((job) => seen.push(job));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const { jobId, done } = runner.start('clone', 'Clone', async (context) => {
      started();
      await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
      context.progress(0.3, 'source-resume');
      throw new WorkbenchFailure('CANCELLED', 'Rolled back.');
    });
    await running;
    runner.cancel(jobId);
    await expect(done).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen.map((job) => job.step)).toContain('source-resume');
  });

  it('reports success when the work finished although a cancel arrived', async () => {
    const runner = createJobRunner(() => undefined);
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const { jobId, done } = runner.start('clone', 'Clone', async (context) => {
      started();
      await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
      return 'clone-ready';
    });
    await running;
    runner.cancel(jobId);
    await expect(done).resolves.toBe('clone-ready');
    expect(runner.list()[0]).toMatchObject({ state: 'succeeded' });
  });

  it('keeps a real failure that happens during a cancel', async () => {
    const runner = createJobRunner(() => undefined);
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const { jobId, done } = runner.start('clone', 'Clone', async (context) => {
      started();
      await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
      throw new WorkbenchFailure('HELPER_FAILED', 'Rollback failed.');
    });
    await running;
    runner.cancel(jobId);
    await expect(done).rejects.toMatchObject({ code: 'HELPER_FAILED' });
    expect(runner.list()[0]).toMatchObject({ state: 'failed', error: { code: 'HELPER_FAILED' } });
  });
});
