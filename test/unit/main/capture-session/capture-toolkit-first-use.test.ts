import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCapture } from '../../../../main/capture-session/capture-pipeline';
import type { CaptureHost } from '../../../../main/capture-session/capture-host';
import type { LocalToolkit } from '../../../../main/capture-session/host-toolkit';
import { buildLocalToolkit, buildingToolkitStep } from '../../../../main/capture-session/local-toolkit';
import { createJobRunner } from '../../../../main/jobs/job-runner';
import type { CaptureRequest, JobSnapshot } from '../../../../preload/api';
import { fakeCaptureHost } from './fake-capture-host';

let caseDir: string;
beforeEach(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'civic-capture-toolkit-'));
});
afterEach(async () => {
  await rm(caseDir, { recursive: true, force: true });
  // The fake toolkit's manifest sits beside the case folder (the capture must not find it inside).
  await rm(`${caseDir}-manifest.json`, { force: true });
});

const triage: CaptureRequest = { hostId: 'app:lab', vmId: 'qmp:/run/web.sock', steps: [{ id: 'processes' }, { id: 'memory-dump' }], access: 'auto' };

/** The fake host, with every call that reaches the host recorded in order. */
function watchedHost(): { host: CaptureHost; touched: string[] } {
  const { host } = fakeCaptureHost();
  const touched: string[] = [];
  return {
    touched,
    host: {
      ...host,
      connect: async (...args) => {
        touched.push('connect');
        return host.connect(...args);
      },
      deployHelper: async (...args) => {
        touched.push('deploy');
        return host.deployHelper(...args);
      },
      runHelper: async (...args) => {
        touched.push(args[1]);
        return host.runHelper(...args);
      },
      uploadToolkit: async (...args) => {
        touched.push('upload');
        return host.uploadToolkit(...args);
      },
    },
  };
}

async function builtToolkit(): Promise<LocalToolkit> {
  const manifestPath = join(caseDir, '..', `${caseDir.split('/').pop()}-manifest.json`);
  await writeFile(manifestPath, JSON.stringify({ schemaVersion: 1, key: 'abc', files: [] }));
  return { key: 'abc', busyboxPath: '/nonexistent', payloadPath: '/nonexistent', manifestPath };
}

function run(host: CaptureHost, request: CaptureRequest, toolkit: (onBuilding?: () => void) => Promise<LocalToolkit>) {
  const seen: JobSnapshot[] = [];
  const runner = createJobRunner((job) => seen.push(job));
  const done = runner.run('capture', 'Capture web', (context) => runCapture(host, request, context, { caseDir, actor: 'a@b', toolVersion: '0.1.0', toolkit }));
  return { done, seen };
}

describe('the toolkit on first use', () => {
  it('is built before the host is touched, with a job step that says so', async () => {
    const { host, touched } = watchedHost();
    let asked = 0;
    const toolkit = async (onBuilding?: () => void): Promise<LocalToolkit> => {
      asked += 1;
      expect(touched).toEqual([]);
      onBuilding?.();
      return builtToolkit();
    };
    const { done, seen } = run(host, triage, toolkit);
    await done;
    expect(asked).toBe(1);
    const steps = seen.map((job) => job.step);
    expect(steps).toContain(buildingToolkitStep);
    expect(steps.indexOf(buildingToolkitStep)).toBeLessThan(steps.indexOf('Connecting to the host'));
    expect(touched).toEqual(['connect', 'deploy', 'list', 'upload', 'clone', 'collect', 'destroy']);
  });

  it('stops with what to install before connecting, deploying or cloning when a build package is missing', async () => {
    const { host, touched } = watchedHost();
    const missing = (onBuilding?: () => void) =>
      buildLocalToolkit('/opt/civic/resources', {
        cacheRoot: join(caseDir, 'empty-cache'),
        ...(onBuilding === undefined ? {} : { onBuilding }),
        builder: {
          checkPrerequisites: async () => ({ ok: false, reason: 'missing', missing: [{ package: 'busybox-static', why: 'busybox' }], packages: ['busybox-static'] }),
          build: async () => {
            throw new Error('must not build');
          },
        },
      });
    const { done } = run(host, triage, missing);
    await expect(done).rejects.toMatchObject({
      code: 'TOOLKIT_PREREQUISITE_MISSING',
      error: { hint: expect.stringContaining('sudo apt-get install -y busybox-static') },
    });
    expect(touched).toEqual([]);
  });

  it('is not asked for by an agentless capture, which never reaches into the clone', async () => {
    const { host } = watchedHost();
    let asked = 0;
    const { done } = run(host, { ...triage, access: 'none' }, async () => {
      asked += 1;
      return builtToolkit();
    });
    await done;
    expect(asked).toBe(0);
  });
});
