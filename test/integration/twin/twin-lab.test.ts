import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labCaptureServices, type LabCaptureServices } from '../capture/capture-lab-services';
import { labVm, readLabInfo, runInGuest, type LabInfo, type LabVmInfo } from '../../support/lab';
import type { TwinSummary } from '../../../preload/api';
import { productionFacts } from '../../support/production-facts';

// A twin of lab-web through the app's own services over the lab's real sshd, helper and QEMU: listed,
// exec'd in, tunnelled to this machine, and the guest's own sysstat and the toolkit's node_exporter run
// in it, with production left exactly as it was. Live tuning through the same stack is driven from the
// browser (test/ui/twin-tuning-lab.test.ts); a value the service refuses is covered by the runner's unit tests.

let lab: LabInfo;
let web: LabVmInfo;
let app: LabCaptureServices;
let twin: TwinSummary;


beforeAll(async () => {
  lab = await readLabInfo();
  web = labVm(lab, 'lab-web');
  app = await labCaptureServices(lab);
  await app.services.hosts.connect(app.host.id);
  const list = await app.services.hosts.listVms(app.host.id);
  const vm = list.vms.find((candidate) => candidate.name === 'lab-web');
  if (vm === undefined) throw new Error(`lab-web is not listed: ${list.vms.map((entry) => entry.id).join(', ')}`);
  const { jobId } = await app.services.twins.start({ hostId: app.host.id, vmId: vm.id, ttlSeconds: 900, guestPorts: [8080] });
  twin = await app.services.twins.started(jobId);
}, 300_000);

afterAll(async () => {
  if (twin) await app.services.twins.destroy(app.host.id, twin.twinId).catch(() => undefined);
  await app?.close();
}, 120_000);

describe('a twin of lab-web', () => {
  it('is listed with its VM, lease and forward, and runs commands in the clone only', async () => {
    const listed = await app.services.twins.list(app.host.id);
    const found = listed.find((entry) => entry.twinId === twin.twinId);
    expect(found?.state).toBe('live');
    expect(found?.vmName).toBe('lab-web');
    expect(found?.secondsLeft).toBeGreaterThan(800);
    expect(found?.forwards.map((forward) => forward.guestPort)).toEqual([8080]);
    const marker = `twin-only-${Date.now()}`;
    const written = await app.services.twins.exec(app.host.id, twin.twinId, ['/bin/sh', '-c', `echo ${marker} > /tmp/marker; cat /tmp/marker`]);
    expect(written.exitCode).toBe(0);
    expect(written.stdout.text.trim()).toBe(marker);
    expect((await runInGuest(web, 'cat /tmp/marker 2>/dev/null || echo none')).stdout.trim()).toBe('none');
  });

  it('opens its web server on this machine through an SSH tunnel', async () => {
    const forward = await app.services.twins.openForward(app.host.id, twin.twinId, 8080);
    expect(forward.localUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const answer = await fetch(`${forward.localUrl}config`);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toMatch(/workers=\d+/);
  });

  it("runs the guest's own sysstat and the toolkit's node_exporter in the twin and brings back series from each", async () => {
    const before = await productionFacts(web);
    const { jobId } = await app.services.experiments.startAgentRun({
      hostId: app.host.id,
      twinId: twin.twinId,
      agents: ['guest', 'node-exporter'],
      seconds: 10,
      intervalSeconds: 2,
      caseDir: app.caseDir,
    });
    const outcome = await app.services.experiments.finished(jobId);
    if (outcome.report.kind !== 'agents') throw new Error('not an agents report');
    const [guest, exporter] = outcome.report.agents;
    expect(guest?.error).toBeUndefined();
    expect(guest?.series.find((series) => series.name.includes('user'))?.points.length).toBeGreaterThanOrEqual(2);
    expect(exporter?.error).toBeUndefined();
    expect(exporter?.series.length).toBeGreaterThan(0);
    expect(exporter?.series.some((series) => series.points.length >= 2)).toBe(true);
    expect(outcome.verified).toBe(true);
    // Production never ran either agent.
    expect((await runInGuest(web, "ps -o comm | grep -e sadc -e node-exporter || echo none")).stdout.trim()).toBe('none');
    expect(await productionFacts(web)).toEqual(before);
  }, 600_000);
});
