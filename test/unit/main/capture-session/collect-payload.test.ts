import { describe, expect, it } from 'vitest';
import { parseCollectPayload, safeArtifactPath, toUtcIso } from '../../../../main/capture-session/collect-payload';

const base = {
  cloneId: 'cw-0123456789ab',
  access: 'qga',
  sessionDir: '/root/s/cw-0123456789ab',
  artifacts: [{ path: 'artifacts/processes.json', role: 'processes', mediaType: 'application/json', size: 3, sha256: 'a'.repeat(64), step: 'processes', pid: null }],
  skipped: [{ step: 'backtraces', reason: 'The clone has no usable guest agent.' }],
  failed: [{ step: 'core-dump', pid: 123, code: 'HELPER_FAILED', message: 'gcore failed' }],
  commands: [{ argv: ['/run/civic/bin/civic-collect'], exitCode: 0, startedAt: '2026-01-01T00:00:00Z', endedAt: 1767225601.5 }],
  toolkit: { key: 'k', files: [{ path: 'bin/gdb', sha256: 'b'.repeat(64) }] },
  guest: { kernel: 'Linux version 6.1', qgaVersion: '7.2.22' },
  extraField: 'ignored',
};

describe('parseCollectPayload', () => {
  it('reads the documented result, with helper times as ISO UTC', () => {
    const payload = parseCollectPayload(base, 'host');
    expect(payload.artifacts[0]).toMatchObject({ path: 'artifacts/processes.json', role: 'processes', pid: null });
    expect(payload.failed[0]).toEqual({ step: 'core-dump', pid: 123, code: 'HELPER_FAILED', message: 'gcore failed' });
    expect(payload.commands[0]).toMatchObject({ startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:01.500Z' });
    expect(payload.guest.qgaVersion).toBe('7.2.22');
  });

  it.each(['../etc/passwd', 'artifacts/../../x', '/abs/artifacts/x', 'artifacts//x', 'manifest.json', 'artifacts/a\\b'])('refuses the artifact path %s', (path) => {
    const payload = { ...base, artifacts: [{ ...base.artifacts[0], path }] };
    expect(() => parseCollectPayload(payload, 'host')).toThrow(expect.objectContaining({ code: 'HELPER_FAILED' }));
  });

  it('refuses an unknown role, a duplicate path and a malformed hash', () => {
    const artifact = base.artifacts[0];
    expect(() => parseCollectPayload({ ...base, artifacts: [{ ...artifact, role: 'rootkit' }] }, 'h')).toThrow(/refuses/);
    expect(() => parseCollectPayload({ ...base, artifacts: [artifact, artifact] }, 'h')).toThrow(/refuses/);
    expect(() => parseCollectPayload({ ...base, artifacts: [{ ...artifact, sha256: 'xyz' }] }, 'h')).toThrow(/cannot read \(at "artifacts.0.sha256"\)/);
  });

  it("stores the helper's guest-file role as the bundle's file role", () => {
    const payload = { ...base, artifacts: [{ ...base.artifacts[0], path: 'artifacts/files/etc_passwd', role: 'guest-file' }] };
    expect(parseCollectPayload(payload, 'h').artifacts[0]?.role).toBe('file');
  });

  it('accepts the new diagnostic roles', () => {
    for (const role of ['backtraces', 'kernel-stacks', 'syscalls', 'metrics', 'command-output', 'kernel-symbols', 'core-dump', 'memory-dump', 'system']) {
      const payload = { ...base, artifacts: [{ ...base.artifacts[0], path: `artifacts/${role}.bin`, role }] };
      expect(parseCollectPayload(payload, 'h').artifacts[0]?.role).toBe(role);
    }
  });
});

describe('helpers', () => {
  it('normalizes times and paths', () => {
    expect(toUtcIso('not a time')).toBeNull();
    expect(toUtcIso(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(safeArtifactPath('artifacts/backtraces/42.txt')).toBe('artifacts/backtraces/42.txt');
  });
});
