import { describe, expect, it } from 'vitest';
import { backtraceArgv, coreDumpArgv, kernelStacksArgv, outputPath, syscallSummaryArgv } from '../../../../main/toolkit/diagnostic-commands';

const LOADER = ['/run/civic/lib/ld-linux-x86-64.so.2', '--library-path', '/run/civic/lib'];

describe('diagnostic argv', () => {
  it('starts gdb through the toolkit loader with an empty environment and its own data directory', () => {
    const argv = backtraceArgv(109);
    expect(argv.slice(0, 3)).toEqual(['/run/civic/bin/busybox', 'env', '-i']);
    expect(argv).toContain('PYTHONHOME=/run/civic/python');
    const loaderAt = argv.indexOf(LOADER[0] as string);
    expect(argv.slice(loaderAt, loaderAt + 4)).toEqual([...LOADER, '/run/civic/bin/gdb']);
    expect(argv.slice(loaderAt + 4)).toEqual([
      '-nx',
      '-batch',
      '--data-directory',
      '/run/civic/share/gdb',
      '-p',
      '109',
      '-ex',
      'set pagination off',
      '-ex',
      'set width 0',
      '-ex',
      'info threads',
      '-ex',
      'thread apply all bt',
    ]);
    // Every environment assignment comes before the loader: nothing from the guest reaches it.
    expect(argv.slice(3, loaderAt).every((entry) => /^[A-Z]+=/.test(entry))).toBe(true);
  });

  it('writes cores only to plain names in the output folder', () => {
    expect(coreDumpArgv(42).slice(-2)).toEqual(['-ex', 'gcore /run/civic/out/core.42']);
    expect(coreDumpArgv(42, 'core.worker').slice(-1)).toEqual(['gcore /run/civic/out/core.worker']);
    for (const name of ['../core', 'a/b', '.hidden', '', 'x y', 'core;rm']) expect(() => outputPath(name)).toThrow(/not a plain output file name/);
  });

  it('passes the pid to the kernel stack script as an argument, never inside the script', () => {
    const argv = kernelStacksArgv(7);
    expect(argv.slice(0, 2)).toEqual(['/run/civic/bin/busybox', 'sh']);
    expect(argv.slice(-2)).toEqual(['civic-kernel-stacks', '7']);
    expect(argv[3]).not.toContain('7');
  });

  it('bounds strace with busybox timeout and SIGINT so it prints its table', () => {
    const argv = syscallSummaryArgv(109, 3);
    expect(argv.slice(0, 5)).toEqual(['/run/civic/bin/busybox', 'timeout', '-s', 'INT', '3']);
    expect(argv.slice(-5)).toEqual(['/run/civic/bin/strace', '-c', '-f', '-p', '109']);
    expect(argv).toEqual(expect.arrayContaining(LOADER));
  });

  it('refuses anything that is not a process id or a sane duration', () => {
    for (const pid of [0, -1, 1.5, Number.NaN, 4_194_305]) expect(() => backtraceArgv(pid)).toThrow(/not a process id/);
    expect(() => syscallSummaryArgv(1, 0)).toThrow(/whole seconds/);
    expect(() => syscallSummaryArgv(1, 3601)).toThrow(/whole seconds/);
  });
});
