import { describe, expect, it } from 'vitest';
import type { ServiceProfile } from '../../../../../preload/api';
import { estimateSentence } from '../../../../../renderer/src/features/experiments/tuning-form';
import {
  draftFromProfile,
  emptyAgentsDraft,
  emptyTuningDraft,
  estimateOfDraft,
  estimateTuningSeconds,
  validateAgentsDraft,
  validateTuningDraft,
  type TuningDraft,
} from '../../../../../renderer/src/features/experiments/tuning-form-fields';

const target = { hostId: 'app:1', twinId: 'twin-1' };
const nginx: ServiceProfile = {
  id: 'nginx',
  title: 'nginx',
  configPath: '/etc/nginx/nginx.conf',
  parameters: [
    { name: 'worker_connections', description: 'Connections per worker.', candidates: ['512', '1024', '2048'] },
    { name: 'keepalive_timeout', description: 'Idle keep-alive.', candidates: ['5', '65'] },
  ],
  port: 80,
  urlPath: '/index.html',
};
const fromProfile = (change: Partial<TuningDraft> = {}): TuningDraft => ({ ...draftFromProfile(emptyTuningDraft, nginx), ...change });

describe('tuning estimate', () => {
  it('is values × repetitions × (warm-up + duration + ~3 s reload)', () => {
    expect(estimateTuningSeconds(3, 5, 2, 5)).toBe(150);
    expect(estimateOfDraft(fromProfile())).toMatchObject({ values: 3, repetitions: 5, seconds: 150 });
    expect(estimateOfDraft(fromProfile({ values: '1, 2, 3, 4', repetitions: '10', warmupSeconds: '0', durationSeconds: '10' }))?.seconds).toBe(4 * 10 * 13);
    expect(estimateSentence(fromProfile())).toBe('About 2 min 30 s: 3 values × 5 repetitions × (2 s warm-up + 5 s measured + ~3 s reload).');
  });

  it('waits for fields it can use', () => {
    expect(estimateOfDraft(fromProfile({ values: '1024' }))).toBeNull();
    expect(estimateOfDraft(fromProfile({ repetitions: '4' }))).toBeNull();
    expect(estimateSentence(fromProfile({ durationSeconds: 'x' }))).toMatch(/^The estimate needs/);
  });
});

describe('tuning form', () => {
  it("fills the profile's file, first knob, candidates, port and path, and sends them", () => {
    const draft = fromProfile();
    expect(draft).toMatchObject({ configPath: '/etc/nginx/nginx.conf', parameter: 'worker_connections', values: '512, 1024, 2048', port: '80', paths: '/index.html' });
    expect(draftFromProfile(draft, nginx, 'keepalive_timeout')).toMatchObject({ parameter: 'keepalive_timeout', values: '5, 65' });
    expect(validateTuningDraft(draft, target)).toEqual({
      request: {
        hostId: 'app:1',
        twinId: 'twin-1',
        profileId: 'nginx',
        configPath: '/etc/nginx/nginx.conf',
        parameter: 'worker_connections',
        values: ['512', '1024', '2048'],
        port: 80,
        repetitions: 5,
        load: { mode: 'closed', concurrency: 16, warmupSeconds: 2, durationSeconds: 5, source: { kind: 'paths', paths: ['/index.html'] } },
      },
    });
  });

  it('takes 2 to 8 distinct values and at least 5 repetitions', () => {
    expect(validateTuningDraft(fromProfile({ values: '512' }), target)).toHaveProperty('errors.values');
    expect(validateTuningDraft(fromProfile({ values: '1,2,3,4,5,6,7,8,9' }), target)).toHaveProperty('errors.values');
    expect(validateTuningDraft(fromProfile({ values: '512, 512' }), target)).toHaveProperty('errors.values');
    expect(validateTuningDraft(fromProfile({ values: '1,2,3,4,5,6,7,8' }), target)).toHaveProperty('request');
    expect(validateTuningDraft(fromProfile({ repetitions: '4' }), target)).toHaveProperty('errors.repetitions');
  });

  it('asks a custom service for its reload command, and splits it into argv', () => {
    const custom: TuningDraft = { ...emptyTuningDraft, configPath: '/etc/app.conf', parameter: 'threads', values: '4, 8' };
    expect(validateTuningDraft(custom, target)).toHaveProperty('errors.reloadCommand');
    expect(validateTuningDraft({ ...custom, reloadCommand: 'systemctl  reload app' }, target)).toMatchObject({ request: { reloadArgv: ['systemctl', 'reload', 'app'], port: 8080 } });
    expect(validateTuningDraft({ ...custom, configPath: 'etc/app.conf', parameter: 'a b', port: '0' }, target)).toMatchObject({
      errors: { configPath: expect.any(String), parameter: expect.any(String), port: expect.any(String) },
    });
  });

  it('sends an open loop with its rate, and an access log with its last N', () => {
    const result = validateTuningDraft(fromProfile({ mode: 'open', rate: '250', sourceKind: 'access-log', logPath: '/var/log/nginx/access.log' }), target);
    expect(result).toMatchObject({ request: { load: { mode: 'open', rate: 250, source: { kind: 'access-log', logPath: '/var/log/nginx/access.log', lastN: 1000 } } } });
    expect(validateTuningDraft(fromProfile({ mode: 'open', rate: '0' }), target)).toHaveProperty('errors.rate');
    expect(validateTuningDraft(fromProfile({ sourceKind: 'access-log', logPath: '' }), target)).toHaveProperty('errors.logPath');
    expect(validateTuningDraft(fromProfile({ paths: 'index.html' }), target)).toHaveProperty('errors.paths');
  });
});

describe('agents form', () => {
  it('sends both agents for 30 s every 2 s by default, and needs one agent at least', () => {
    expect(validateAgentsDraft(emptyAgentsDraft, target)).toEqual({ request: { ...target, agents: ['guest', 'node-exporter'], seconds: 30, intervalSeconds: 2 } });
    expect(validateAgentsDraft({ ...emptyAgentsDraft, guest: false, nodeExporter: false }, target)).toHaveProperty('errors.agents');
    expect(validateAgentsDraft({ ...emptyAgentsDraft, seconds: '5', intervalSeconds: '10' }, target)).toHaveProperty('errors.intervalSeconds');
  });
});
