import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { HostDetails, JobSnapshot } from '../../../preload/api';
import { createWorkbenchServices, type WorkbenchServices } from '../../../main/services';
import { labVm, type LabInfo } from '../../support/lab';
import { testToolkit } from '../../support/toolkit';

/** The app's services against the lab host, with a throwaway home, every host key accepted and job progress recorded. */
export interface LabCaptureServices {
  readonly services: WorkbenchServices;
  readonly host: HostDetails;
  readonly home: string;
  readonly caseDir: string;
  readonly jobs: JobSnapshot[];
  close(): Promise<void>;
}

/** Builds the services and adds the lab host as root with the lab's QMP folder. */
export async function labCaptureServices(lab: LabInfo): Promise<LabCaptureServices> {
  const home = await mkdtemp(join(tmpdir(), 'civic-capture-home-'));
  const web = labVm(lab, 'lab-web');
  const services = createWorkbenchServices({
    appDataDir: join(home, 'app-data'),
    resourcesDir: resolve('resources'),
    transport: 'web',
    homeDir: home,
    hosts: { localUser: 'analyst', reconnect: { attempts: 0, baseDelayMs: 100, maxDelayMs: 100 } },
    toolkit: async () => {
      const build = await testToolkit();
      return { key: build.key, busyboxPath: build.busyboxPath, payloadPath: build.payloadPath, manifestPath: join(build.dir, 'toolkit-manifest.json') };
    },
  });
  const jobs: JobSnapshot[] = [];
  services.events.forward((name, payload) => {
    if (name === 'jobProgress') jobs.push((payload as { job: JobSnapshot }).job);
    if (name === 'hostKeyPrompt') {
      const prompt = payload as { promptId: string; closed?: boolean };
      if (!prompt.closed) void services.hosts.answerHostKey(prompt.promptId, true);
    }
  });
  const host = await services.hosts.add({
    alias: 'lab',
    hostName: lab.ssh.host,
    port: lab.ssh.port,
    user: 'root',
    identityFile: lab.ssh.privateKeyPath,
    proxyJump: '',
    qmpDirs: [dirname(web.qmpSocketPath ?? '/')],
  });
  return {
    services,
    host,
    home,
    caseDir: join(home, 'cases'),
    jobs,
    async close() {
      await services.shutdown();
      await rm(home, { recursive: true, force: true });
    },
  };
}
