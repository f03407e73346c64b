import { describe, expect, it } from 'vitest';
import { collectCommand, formatOutcome, progressLine } from '../../../../main/cli/commands/collect-command';
import type { CliIo } from '../../../../main/cli/commands/cli-io';
import type { HostsCliEnvironment } from '../../../../main/cli/commands/hosts-cli-context';

function capture(): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (text) => out.push(text), err: (text) => err.push(text) }, out, err };
}

// Usage errors stop before any service is built, so these folders are never touched.
const environment: HostsCliEnvironment = { appDataDir: '/nonexistent/app', homeDir: '/nonexistent/home', resourcesDir: '/nonexistent/res', readSecret: async () => null };

describe('civic collect', () => {
  it.each([
    [['lab'], /usage: civic collect/],
    [['lab', 'web', '--steps', 'processes,rootkit'], /unknown step "rootkit"/],
    [['lab', 'web', '--steps', 'backtraces'], /backtraces needs --pids/],
    [['lab', 'web', '--pids', '1,x'], /--pids takes positive process ids/],
    [['lab', 'web', '--access', 'ssh-please'], /--access is auto, qga, ssh or none/],
    [['lab', 'web', '--guest-user', 'root'], /--guest-user and --guest-key go together/],
    [['lab', 'web', '--guest-user', 'root', '--guest-key', '/k', '--guest-host-key', 'MD5:aa'], /SHA256 fingerprint/],
    [['lab', 'web', '--bogus'], /unknown option --bogus/],
  ])('refuses %j with exit 2', async (args, message) => {
    const { io, out, err } = capture();
    expect(await collectCommand(args, io, environment)).toBe(2);
    expect(err.join('')).toMatch(message);
    expect(out).toEqual([]);
  });

  it('prints progress and the outcome a person reads', () => {
    expect(
      progressLine({ jobId: 'j', kind: 'capture', title: 't', state: 'running', value: 0.423, step: 'Collecting (processes)', startedAt: '2026-01-01T00:00:00Z' }),
    ).toBe('[ 42%] Collecting (processes)\n');
    const text = formatOutcome({
      jobId: 'j',
      bundlePath: '/cases/web.civic',
      access: 'none',
      strategy: 'precopy',
      cloneId: 'cw-0123456789ab',
      artifacts: [{ path: 'artifacts/memory.elf', mediaType: 'application/x-elf', size: 2048, sha256: 'a'.repeat(64), role: 'memory-dump' }],
      skipped: [{ step: 'processes', reason: 'The clone has no guest agent to run it with.' }],
      failed: [{ step: 'core-dump', pid: 7, code: 'HELPER_FAILED', message: 'gcore failed' }],
      processCount: 0,
      findingCount: 0,
      verified: true,
      keptOnHost: null,
    });
    expect(text).toContain('Skipped    processes: The clone has no guest agent to run it with.');
    expect(text).toContain('Failed     core-dump pid 7: HELPER_FAILED gcore failed');
    expect(text).toContain('agentless (memory dump only)');
  });
});
