import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labCaptureServices, type LabCaptureServices } from '../capture/capture-lab-services';
import { labVm, queryVmStatus, readLabInfo, runInGuest, type LabInfo, type LabVmInfo } from '../../support/lab';
import type { TwinSummary } from '../../../preload/api';

// A twin of lab-web through the app's own services over the lab's real sshd, helper and QEMU: live
// tuning of civic-web's workers on the twin, the guest's own sysstat and the toolkit's node_exporter
// run in it, and production left exactly as it was.

let lab: LabInfo;
let web: LabVmInfo;
let app: LabCaptureServices;
let twin: TwinSummary;

/** What must not change on production: its config file's hash, its processes, its QMP status. */
async function productionFacts(): Promise<{ configSha256: string; processes: string; status: string }> {
  const config = await runInGuest(web, 'sha256sum /etc/civic-web.conf');
  // PIDs and names of user processes (kernel workers come and go), without the probe's own shell and ps.
  const processes = await runInGuest(web, "ps -o pid,ppid,comm | awk -v me=$$ '$1 != me && $2 != me && $1 != 2 && $2 != 2'");
  return { configSha256: config.stdout.split(' ')[0] ?? '', processes: processes.stdout, status: await queryVmStatus(web.qmpSocketPath ?? '') };
}

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

  it('tunes civic-web workers under load: a row per value with intervals, a recommendation, the diff; a broken value fails alone; production unchanged', async () => {
    const before = await productionFacts();
    const { jobId } = await app.services.experiments.startTuning({
      hostId: app.host.id,
      twinId: twin.twinId,
      profileId: 'civic-web',
      configPath: '/etc/civic-web.conf',
      parameter: 'workers',
      // One value that works and one civic-web refuses (workers is 1..64): the table needs both kinds.
      values: ['4', '0'],
      port: 8080,
      load: { mode: 'closed', concurrency: 8, warmupSeconds: 1, durationSeconds: 2, source: { kind: 'paths', paths: ['/'] } },
      repetitions: 5,
      caseDir: app.caseDir,
    });
    const outcome = await app.services.experiments.finished(jobId);
    expect(outcome.verified).toBe(true);
    const report = outcome.report;
    if (report.kind !== 'tuning') throw new Error('not a tuning report');
    expect(report.rows.map((row) => [row.value, row.status])).toEqual([
      ['4', 'ok'],
      ['0', 'failed'],
    ]);
    const [four, zero] = report.rows;
    expect(four?.runs).toHaveLength(5);
    expect(four?.throughput?.median).toBeGreaterThan(0);
    expect(four?.throughput?.low).toBeLessThanOrEqual(four?.throughput?.median ?? 0);
    expect(four?.throughput?.high).toBeGreaterThanOrEqual(four?.throughput?.median ?? Infinity);
    // civic-web's own words, and the value measured no further.
    expect(zero?.failure).toMatch(/workers/);
    expect(zero?.runs).toHaveLength(0);
    expect(report.recommended?.value).toBe('4');
    expect(report.diff).toMatch(/^-workers = \d+$/m);
    expect(report.diff).toMatch(/^\+workers = 4$/m);
    // The twin's file is back as it was.
    const config = await app.services.twins.exec(app.host.id, twin.twinId, ['/bin/cat', '/etc/civic-web.conf']);
    expect(config.stdout.text).toContain(`workers = ${report.originalValue}`);
    // The capture opens in Review with its experiment.
    const opened = await app.services.review.open(outcome.bundlePath);
    expect(opened.integrity.verified).toBe(true);
    expect((await app.services.review.experiment(opened.handle))?.kind).toBe('tuning');
    await app.services.review.close(opened.handle);
    expect(await productionFacts()).toEqual(before);
  }, 900_000);

  it("runs the guest's own sysstat and the toolkit's node_exporter in the twin and brings back series from each", async () => {
    const before = await productionFacts();
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
    expect(await productionFacts()).toEqual(before);
  }, 600_000);
});
