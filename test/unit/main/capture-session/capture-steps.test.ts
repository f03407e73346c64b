import { describe, expect, it } from 'vitest';
import { chooseAccess, helperCollectSteps, triageSteps } from '../../../../main/capture-session/capture-steps';

describe('chooseAccess', () => {
  it('takes the guest agent when the VM has its channel', () => {
    expect(chooseAccess('auto', { qgaChannel: true }, triageSteps)).toMatchObject({ access: 'qga', skipped: [] });
  });

  it('goes agentless without a channel, or when asked, listing every guest step as skipped', () => {
    const steps = [...triageSteps, { id: 'memory-dump' as const }];
    const without = chooseAccess('auto', { qgaChannel: false }, steps);
    expect(without.access).toBe('none');
    expect(without.skipped.map((skip) => skip.step)).toEqual(['processes', 'sockets', 'system', 'kernel-symbols']);
    expect(chooseAccess('none', { qgaChannel: true }, steps).skipped[0]?.reason).toMatch(/Agentless/);
  });
});

describe('chooseAccess with a guest login', () => {
  it('goes into the clone over SSH when there is no agent channel, or when asked', () => {
    expect(chooseAccess('auto', { qgaChannel: false, guestLogin: true }, triageSteps)).toMatchObject({ access: 'ssh', skipped: [] });
    expect(chooseAccess('ssh', { qgaChannel: true, guestLogin: true }, triageSteps).access).toBe('ssh');
    expect(chooseAccess('auto', { qgaChannel: true, guestLogin: true }, triageSteps).access).toBe('qga');
  });

  it('goes agentless when SSH is asked without a login, saying so', () => {
    const plan = chooseAccess('ssh', { qgaChannel: false }, triageSteps);
    expect(plan.access).toBe('none');
    expect(plan.reason).toMatch(/needs a guest login/);
  });
});

describe('helperCollectSteps', () => {
  it('keeps only the options each step takes, once per step', () => {
    expect(
      helperCollectSteps([
        { id: 'processes', pids: [1] },
        { id: 'backtraces', pids: [42], seconds: 3 },
        { id: 'backtraces', pids: [43] },
        { id: 'metrics', seconds: 5, intervalSeconds: 1 },
        { id: 'memory-dump', format: 'kdump-zlib' },
      ]),
    ).toEqual([{ id: 'processes' }, { id: 'backtraces', pids: [42] }, { id: 'metrics', seconds: 5, intervalSeconds: 1 }, { id: 'memory-dump', format: 'kdump-zlib' }]);
  });
});
