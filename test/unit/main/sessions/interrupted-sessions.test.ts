import { describe, expect, it } from 'vitest';
import { parseGcPayload, parseRecoverPayload, type GcSession } from '../../../../main/helper-client/helper-payloads';
import { describeActions, describeRecoveries, planRecovery, sessionVmLabel } from '../../../../main/sessions/interrupted-sessions';

const host = 'root@kvm1:22';
const helperDir = '/root/.cache/civic-workbench/helper-0.1.0';

/** A `gc` session entry as lifecycle.py writes it. */
function gcEntry(cloneId: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { cloneId, state: 'source-cut', helperActive: false, clonePid: null, cloneAlive: false, vm: { kind: 'libvirt', target: 'lab-db', id: 'libvirt:lab-db' }, ...fields };
}

function session(cloneId: string, fields: Record<string, unknown> = {}): GcSession {
  const parsed = parseGcPayload({ sessions: [gcEntry(cloneId, { action: 'needs-recover', ...fields })], orphanProcesses: [] }, host)[0];
  if (!parsed) throw new Error('no session');
  return parsed;
}

describe('planRecovery: which interrupted sessions the app recovers at connect', () => {
  it('recovers needs-recover sessions and never one a live helper holds', () => {
    const sessions = parseGcPayload(
      {
        sessions: [
          gcEntry('c-interrupted', { action: 'needs-recover' }),
          // A clone at work: gc cannot take its lock, so it says helperActive and gives no action.
          gcEntry('c-cloning', { helperActive: true, state: 'migrate-start' }),
          // Defensive: even if an entry said both, an active helper wins.
          gcEntry('c-contradictory', { helperActive: true, action: 'needs-recover' }),
          gcEntry('c-ready', { state: 'ready', cloneAlive: true, clonePid: 4242 }),
          gcEntry('c-finished', { state: 'destroyed', action: 'removable' }),
        ],
        orphanProcesses: [],
      },
      host,
    );
    const plan = planRecovery(sessions);
    expect(plan.recover.map((entry) => entry.cloneId)).toEqual(['c-interrupted']);
    expect(plan.active.map((entry) => entry.cloneId)).toEqual(['c-cloning', 'c-contradictory']);
  });

  it('has nothing to do on a host without sessions', () => {
    expect(planRecovery(parseGcPayload({ sessions: [], orphanProcesses: [] }, host)).recover).toEqual([]);
  });

  it('refuses a gc result it cannot read instead of guessing', () => {
    expect(() => parseGcPayload({ sessions: [{ cloneId: 'x', state: 'begin' }] }, host)).toThrow(/gc result the app cannot read \(at "sessions.0.helperActive"\)/);
  });
});

describe('describeRecoveries: what the Hosts view says was done', () => {
  it('says which clone of which VM was recovered and what recover undid', () => {
    const outcome = parseRecoverPayload(
      { sessions: [{ cloneId: 'c1', state: 'source-cut', outcome: 'recovered', actions: ['migration-cancelled', 'source-resumed', 'caps-restored', 'clone-stopped', 'source-committed:civic-src-0', 'fdset-removed:3'] }] },
      host,
    )[0];
    if (!outcome) throw new Error('no outcome');
    const report = describeRecoveries([{ session: session('c1'), jobId: 'job-1', outcome }], helperDir);
    expect(report).toEqual({
      tone: 'info',
      text: 'Recovered 1 interrupted clone of lab-db: source resumed, migration cancelled, migration settings restored, clone stopped, overlay folded back.',
      error: null,
    });
  });

  it('groups clones of one VM and names bare QEMU VMs by their socket', () => {
    const recovered = (cloneId: string, actions: string[]) => ({ cloneId, outcome: 'recovered' as const, actions, error: null });
    const qmp = { vm: { kind: 'qmp', target: '/run/civic-lab/lab-web.qmp', id: 'qmp:/run/civic-lab/lab-web.qmp' } };
    const report = describeRecoveries(
      [
        { session: session('c1'), jobId: 'j1', outcome: recovered('c1', ['source-committed:a']) },
        { session: session('c2'), jobId: 'j2', outcome: recovered('c2', ['source-committed:b', 'clone-stopped']) },
        { session: session('c3', qmp), jobId: 'j3', outcome: recovered('c3', []) },
      ],
      helperDir,
    );
    expect(report.text).toBe(
      'Recovered 2 interrupted clones of lab-db: clone stopped, 2 overlays folded back. Recovered 1 interrupted clone of lab-web: nothing was left to undo; its files were removed.',
    );
  });

  it('shows a failed recover with its error and the command to run by hand, as a warning', () => {
    const outcome = parseRecoverPayload(
      { sessions: [{ cloneId: 'c9', outcome: 'failed', error: { type: 'error', code: 'HELPER_FAILED', message: 'block-commit failed: Permission denied', hint: 'x' } }] },
      host,
    )[0];
    if (!outcome) throw new Error('no outcome');
    const report = describeRecoveries([{ session: session('c9'), jobId: 'j9', outcome }], helperDir);
    expect(report.tone).toBe('warning');
    expect(report.text).toBe('Could not recover interrupted clone c9 of lab-db: block-commit failed: Permission denied.');
    expect(report.error?.code).toBe('HELPER_FAILED');
    expect(report.error?.hint).toBe(`The source VM may still be paused. Run recover by hand on the host: sudo python3 ${helperDir}/civic-helper recover --json-args '{"cloneId":"c9"}'`);
  });

  it('reports a recover job that itself failed (the link dropped) the same way', () => {
    const report = describeRecoveries(
      [{ session: session('c4'), jobId: null, failure: { code: 'CONNECTION_LOST', message: 'The connection to kvm1 was lost.', hint: 'Reconnect.' } }],
      helperDir,
    );
    expect(report.text).toBe('Could not recover interrupted clone c4 of lab-db: The connection to kvm1 was lost.');
    expect(report.error).toMatchObject({ code: 'CONNECTION_LOST', hint: expect.stringContaining('civic-helper recover') });
  });

  it('says whether each source VM runs now, and warns when one does not', () => {
    const recovered = { cloneId: 'c1', outcome: 'recovered' as const, actions: ['migration-cancelled', 'caps-restored', 'fdset-removed:0'], error: null };
    const running = describeRecoveries([{ session: session('c1'), jobId: 'j1', outcome: recovered }], helperDir, new Map([['libvirt:lab-db', 'running']]));
    expect(running).toEqual({ tone: 'info', text: 'Recovered 1 interrupted clone of lab-db: migration cancelled, migration settings restored; lab-db is running.', error: null });
    const paused = describeRecoveries([{ session: session('c1'), jobId: 'j1', outcome: recovered }], helperDir, new Map([['libvirt:lab-db', 'paused']]));
    expect(paused.tone).toBe('warning');
    expect(paused.text).toMatch(/; lab-db is paused, not running: check it\.$/);
  });

  it('says when another helper took a session over between gc and recover', () => {
    const report = describeRecoveries([{ session: session('c5'), jobId: 'j5', outcome: { cloneId: 'c5', outcome: 'busy', actions: [], error: null } }], helperDir);
    expect(report).toMatchObject({ tone: 'info', text: 'Left interrupted clone c5 of lab-db alone: another helper took it over.' });
  });
});

describe('words for VMs and actions', () => {
  it('names an unknown VM plainly', () => {
    expect(sessionVmLabel(null)).toBe('an unknown VM');
    expect(sessionVmLabel({ kind: 'qmp', target: '/srv/vms/web01.sock', id: 'qmp:/srv/vms/web01.sock' })).toBe('web01');
  });

  it('ignores actions a reader does not need', () => {
    expect(describeActions(['fdset-removed:1'])).toBe('nothing was left to undo; its files were removed');
  });
});
