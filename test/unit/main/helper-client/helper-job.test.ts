import { describe, expect, it } from 'vitest';
import { WorkbenchFailure } from '../../../../main/errors';
import { runHelperJob, type HelperHostAccess } from '../../../../main/helper-client/helper-job';
import type { JobContext } from '../../../../main/jobs/job-runner';
import type { CommandOptions, CommandResult } from '../../../../main/ssh/remote-command';

const hello = '{"type":"hello","protocolVersion":1,"helperVersion":"0.1.0","capabilities":[]}\n';

function result(stdout: string, exitCode = 0): CommandResult {
  return { exitCode, signal: null, stdout: Buffer.from(stdout), stderr: Buffer.alloc(0) };
}

/**
 * A host whose helper output is `output`; each stream call serves it from the offset asked for,
 * and the first `dropAfter` bytes of a stream end with CONNECTION_LOST instead (a cut link).
 */
function fakeHost(output: string, options: { dropAfter?: number; errorTail?: string } = {}) {
  const calls: string[][] = [];
  const offsets: number[] = [];
  let drops = options.dropAfter === undefined ? 0 : 1;
  const access: HelperHostAccess = {
    helperDir: async () => '/home/u/.cache/civic-workbench/helper/0.1.0-abc',
    reconnect: async () => undefined,
    async runPrivileged(_hostId: string, argv: readonly string[], commandOptions: CommandOptions = {}) {
      calls.push([...argv]);
      if (argv[0] === 'sh' && argv[3] === 'civic-launch') return result('4242\n');
      if (argv[0] === 'python3' && argv[1] === '-c') {
        const offset = Number(argv[4]);
        offsets.push(offset);
        const bytes = Buffer.from(output).subarray(offset);
        if (drops > 0) {
          drops -= 1;
          commandOptions.onStdout?.(bytes.subarray(0, options.dropAfter));
          throw new WorkbenchFailure('CONNECTION_LOST', 'The connection was lost.');
        }
        commandOptions.onStdout?.(bytes);
        return result('');
      }
      if (argv[0] === 'tail') return result(options.errorTail ?? '');
      return result('');
    },
  };
  return { access, calls, offsets };
}

function fakeContext(signal: AbortSignal = new AbortController().signal) {
  const progress: Array<{ value: number; step: string; lastLine?: string }> = [];
  const context: JobContext = {
    jobId: '0f3a9c21-b4d7-4e3a-9c21-b4d70f3a9c21',
    signal,
    progress: (value, step, lastLine) => progress.push({ value, step, ...(lastLine === undefined ? {} : { lastLine }) }),
  };
  return { context, progress };
}

const request = { hostId: 'app:1', hostLabel: 'root@h:22', verb: 'list' as const, args: { libvirt: false }, qmpDirs: ['/run/q'] };

describe('runHelperJob', () => {
  it('launches the helper detached with quoted arguments and maps progress and result', async () => {
    const host = fakeHost(`${hello}{"type":"progress","step":"scan","value":0.5,"message":"Scanning"}\n{"type":"result","payload":{"vms":[]}}\n`);
    const { context, progress } = fakeContext();
    await expect(runHelperJob(host.access, request, context)).resolves.toEqual({ vms: [] });
    expect(progress).toContainEqual({ value: 0.5, step: 'scan', lastLine: 'Scanning' });
    const launch = host.calls[0]!;
    expect(launch.slice(-7)).toEqual(['python3', '/home/u/.cache/civic-workbench/helper/0.1.0-abc/civic-helper', 'list', '--qmp-dir', '/run/q', '--json-args', '{"libvirt":false}']);
    expect(launch).toContain(`/home/u/.cache/civic-workbench/jobs/${context.jobId}.jsonl`);
    expect(host.calls.at(-1)?.[0]).toBe('rm');
  });

  it('turns an error line into a failure with the helper code', async () => {
    const host = fakeHost(`${hello}{"type":"error","code":"VM_NOT_CLONEABLE","message":"VFIO device."}\n`);
    await expect(runHelperJob(host.access, request, fakeContext().context)).rejects.toMatchObject({ error: { code: 'VM_NOT_CLONEABLE', message: 'VFIO device.' } });
  });

  it('refuses a helper of another protocol version', async () => {
    const host = fakeHost('{"type":"hello","protocolVersion":7,"helperVersion":"9","capabilities":[]}\n{"type":"result","payload":{}}\n');
    await expect(runHelperJob(host.access, request, fakeContext().context)).rejects.toMatchObject({ error: { code: 'HELPER_VERSION_MISMATCH' } });
  });

  it('reports a helper that died without a final line and suggests recover', async () => {
    const host = fakeHost(`${hello}{"type":"progress","step":"plan","value":0.05,"message":"Plan"}\n`, { errorTail: 'Killed' });
    const failure = await runHelperJob(host.access, request, fakeContext().context).catch((error: WorkbenchFailure) => error);
    expect(failure).toMatchObject({ error: { code: 'HELPER_FAILED', message: expect.stringContaining('without a final line: Killed') } });
    expect((failure as WorkbenchFailure).error.hint).toMatch(/recover/);
  });

  it('resumes streaming from the last complete line after a lost connection', async () => {
    const progressLine = '{"type":"progress","step":"plan","value":0.05,"message":"Plan"}\n';
    // The cut happens 10 bytes into the progress line: those bytes must be read again, not skipped.
    const host = fakeHost(`${hello}${progressLine}{"type":"result","payload":{"cloneId":"cw-000000000001"}}\n`, { dropAfter: hello.length + 10 });
    const { context, progress } = fakeContext();
    await expect(runHelperJob(host.access, request, context, { reattachDelayMs: () => 0 })).resolves.toEqual({ cloneId: 'cw-000000000001' });
    expect(host.offsets).toEqual([0, hello.length]);
    expect(progress.map((entry) => entry.step)).toEqual(['Connection lost; re-attaching', 'Re-attached', 'plan']);
  });

  it('sends TERM to the helper process group on cancel and returns its CANCELLED error', async () => {
    const controller = new AbortController();
    const host = fakeHost(`${hello}{"type":"error","code":"CANCELLED","message":"Cancelled (signal SIGTERM)."}\n`);
    const original = host.access.runPrivileged;
    host.access.runPrivileged = async (hostId, argv, options) => {
      if (argv[0] === 'python3' && argv[1] === '-c') controller.abort();
      return original(hostId, argv, options);
    };
    await expect(runHelperJob(host.access, request, fakeContext(controller.signal).context)).rejects.toMatchObject({ error: { code: 'CANCELLED' } });
    expect(host.calls.find((argv) => argv[3] === 'civic-signal')?.slice(4)).toEqual(['TERM', '4242']);
  });
});
