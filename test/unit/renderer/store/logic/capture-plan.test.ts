import { describe, expect, it } from 'vitest';
import { buildSteps, describeAccess, parsePids, stepsSkippedBy, triagePreset } from '../../../../../renderer/src/store/logic/capture-plan';
import type { CaptureStepId } from '../../../../../preload/api';

describe('capture plan', () => {
  it('builds the triage steps in order, pids only on per-process steps', () => {
    expect(buildSteps(new Set(triagePreset), '')).toEqual({ steps: [{ id: 'processes' }, { id: 'sockets' }, { id: 'system' }, { id: 'kernel-symbols' }] });
    expect(buildSteps(new Set<CaptureStepId>(['backtraces', 'processes']), '412, 977 412')).toEqual({
      steps: [{ id: 'processes' }, { id: 'backtraces', pids: [412, 977] }],
    });
  });

  it('says why a selection cannot run', () => {
    expect(buildSteps(new Set(), '')).toEqual({ problem: 'Choose at least one step.' });
    expect(buildSteps(new Set<CaptureStepId>(['core-dump']), '')).toMatchObject({ problem: expect.stringMatching(/process ids/) });
    expect(buildSteps(new Set<CaptureStepId>(['core-dump']), '12, abc')).toMatchObject({ problem: expect.stringMatching(/process ids/) });
    expect(parsePids('0')).toBeNull();
    expect(parsePids(' 7 ,8 ')).toEqual([7, 8]);
  });

  it('shows the way in and what it skips before running', () => {
    expect(describeAccess({ qgaChannel: true }, 'auto')).toMatchObject({ label: 'qemu-guest-agent', agentless: false });
    expect(describeAccess({ qgaChannel: false }, 'auto')).toMatchObject({ label: 'agentless', agentless: true });
    expect(describeAccess({ qgaChannel: true }, 'none').detail).toMatch(/Agentless was chosen/);
    expect(stepsSkippedBy(new Set<CaptureStepId>(['processes', 'memory-dump']), true)).toEqual(['processes']);
    expect(stepsSkippedBy(new Set<CaptureStepId>(['processes']), false)).toEqual([]);
  });

  it('shows SSH into the clone when a guest login is given and there is no agent, or SSH is chosen', () => {
    expect(describeAccess({ qgaChannel: false }, 'auto', true)).toMatchObject({ label: 'SSH into the clone', agentless: false });
    expect(describeAccess({ qgaChannel: true }, 'ssh', true).label).toBe('SSH into the clone');
    expect(describeAccess({ qgaChannel: false }, 'ssh', false)).toMatchObject({ label: 'agentless', agentless: true });
  });
});
