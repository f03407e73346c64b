import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessWindowQuery } from '../../../../preload/api';
import { createCaptureService } from '../../../../main/captures/capture-service';
import { WorkbenchFailure } from '../../../../main/errors';
import { createReviewQueries, type ReviewQueries } from '../../../../main/review/review-queries';
import { hostileCorpus, writeBigCapture, type BigCaptureFacts } from '../../../support/big-capture';

let root: string;
let before: BigCaptureFacts;
let after: BigCaptureFacts;
let queries: ReviewQueries;
let beforeHandle: string;
let afterHandle: string;
const captures = createCaptureService();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'civic-review-test-'));
  before = await writeBigCapture(join(root, 'before'), { processCount: 2000, variant: 'before' });
  after = await writeBigCapture(join(root, 'after'), { processCount: 2000, variant: 'after' });
  queries = createReviewQueries({ captures, appDataDir: join(root, 'app-data'), now: () => new Date('2026-06-01T00:00:00Z') });
  beforeHandle = (await captures.open(before.folder)).handle;
  afterHandle = (await captures.open(after.folder)).handle;
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const query = (change: Partial<ProcessWindowQuery>): ProcessWindowQuery => ({
  handle: beforeHandle,
  search: '',
  regex: false,
  filters: {},
  sort: { key: 'pid', descending: false },
  mode: 'tree',
  collapsed: [],
  offset: 0,
  limit: 50,
  ...change,
});

describe('review queries on a generated capture', () => {
  it('serves windows of the process tree with the planted backdoor findable', () => {
    const window = queries.queryProcesses(query({}));
    expect(window.processCount).toBe(before.processCount);
    expect(window.total).toBe(before.processCount);
    expect(window.rows).toHaveLength(50);
    const listening = queries.queryProcesses(query({ filters: { listeningOnly: true, flaggedOnly: true }, mode: 'flat' }));
    expect(listening.rows.map((row) => row.process.pid)).toEqual([before.backdoorPid]);
  });

  it('shows every field of a process with secrets hidden until revealed', () => {
    const detail = queries.processDetail(beforeHandle, before.backdoorPid, false);
    expect(detail.process.exeDeleted).toBe(true);
    expect(detail.ancestors).toEqual([1]);
    expect(detail.cwd?.text).toBe('/tmp/.x');
    expect(detail.sockets.map((socket) => socket.localPort)).toEqual([31337]);
    expect(detail.findings.map((finding) => finding.rule)).toEqual(['exe-deleted', 'suspicious-listener-port']);
    expect(JSON.stringify(detail.environment)).not.toContain(before.secretValue);
    expect(detail.notCollected).toContain('open files');
    expect(detail.notCollected).not.toContain('anonymous executable mappings');
    expect(detail.executableMappings?.map((mapping) => mapping.permissions)).toEqual(['rwxp', 'r-xp']);
    expect(detail.fields.map((field) => field.label)).toEqual(['cgroup', 'UIDs (real, effective, saved, fs)', 'GIDs (real, effective, saved, fs)', 'Open descriptors', 'Traced by', 'Namespaces']);
    const revealed = queries.processDetail(beforeHandle, before.backdoorPid, true);
    expect(JSON.stringify(revealed.environment)).toContain(before.secretValue);
    expect(() => queries.processDetail(beforeHandle, 123_456_789, false)).toThrow(WorkbenchFailure);
  });

  it('compares two captures: the added process, its sockets and finding, and the removed process', () => {
    const diff = queries.compare(beforeHandle, afterHandle);
    expect(diff.processes.added.map((process) => process.pid)).toEqual([after.addedPid]);
    expect(diff.processes.removed.map((process) => process.pid)).toEqual([before.removedPid]);
    expect(diff.processes.changedCount).toBe(0);
    expect(diff.sockets.added.map((socket) => socket.localPort).sort()).toEqual([50_000, after.addedListenPort].sort());
    expect(diff.sockets.removedCount).toBe(0);
    expect(diff.modulesKind).toBe('kernel-modules');
    expect(diff.modules.added.map((module) => module.text)).toEqual([after.addedModule]);
    expect(diff.modules.removedCount).toBe(0);
    expect(diff.findings.added.map((finding) => finding.rule)).toEqual(['miner']);
  });

  it('keeps triage in a sidecar beside the capture, outside the sealed bundle', async () => {
    const saved = await queries.setTriage(beforeHandle, { findingId: 'F-001', state: 'confirmed', note: 'hash matches known kit' });
    expect(saved).toMatchObject({ location: 'beside-capture', path: `${before.folder}.triage.json` });
    const file = JSON.parse(await readFile(`${before.folder}.triage.json`, 'utf8')) as { entries: unknown[] };
    expect(file.entries).toEqual([{ findingId: 'F-001', state: 'confirmed', note: 'hash matches known kit', updatedAt: '2026-06-01T00:00:00.000Z' }]);
    await queries.setTriage(beforeHandle, { findingId: 'F-002', state: 'false-positive', note: '' });
    const loaded = await queries.triage(beforeHandle);
    expect(loaded.entries.map((entry) => [entry.findingId, entry.state])).toEqual([
      ['F-001', 'confirmed'],
      ['F-002', 'false-positive'],
    ]);
  });

  it('falls back to the app data folder when nothing can be written beside the capture', async () => {
    // A file where the sidecar's folder should be: the write beside the capture fails even for root.
    const blocked = join(root, 'blocked');
    await writeFile(blocked, 'not a folder');
    const capture = await writeBigCapture(join(root, 'blocked-capture'), { processCount: 300 });
    const service = createCaptureService();
    const handle = (await service.open(capture.folder)).handle;
    const overview = service.capture(handle).overview;
    const stub = { ...service, capture: () => ({ ...service.capture(handle), overview: { ...overview, path: join(blocked, 'capture') } }) };
    const fallback = createReviewQueries({ captures: stub, appDataDir: join(root, 'app-data-2') });
    const saved = await fallback.setTriage(handle, { findingId: 'F-001', state: 'confirmed', note: '' });
    expect(saved.location).toBe('app-data');
    expect(saved.path.startsWith(join(root, 'app-data-2', 'triage'))).toBe(true);
    expect((await fallback.triage(handle)).entries).toHaveLength(1);
  });

  it('exports HTML, CSV and JSON with hostile strings inert and secrets redacted', async () => {
    const html = (await queries.exportReport(beforeHandle, 'html')).content ?? '';
    expect(html).not.toMatch(/<script|<img|<svg|<iframe|<a |<style>\*|<link|<base|<form|<object|<embed/i);
    expect(html).toContain('&#60;script&#62;');
    expect(html).not.toContain(before.secretValue);
    expect(html).toContain('\\x1b[2J');
    const csv = (await queries.exportReport(beforeHandle, 'csv')).content ?? '';
    expect(csv).not.toContain(before.secretValue);
    expect(csv).toContain(`"'=cmd|""/c calc""!A1"`);
    expect(csv).toContain(`"'+SUM(1,2)"`);
    expect(csv).not.toMatch(/(^|,)"[=+\-@]/m);
    const json = JSON.parse((await queries.exportReport(beforeHandle, 'json')).content ?? '{}') as { processes: unknown[] };
    expect(json.processes).toHaveLength(before.processCount);
    expect(JSON.stringify(json)).not.toContain(before.secretValue);
    expect(hostileCorpus.length).toBeGreaterThanOrEqual(50);
  });

  it('writes an export where the save dialog says, atomically', async () => {
    const target = join(root, 'saved-report.html');
    const saving = createReviewQueries({ captures, appDataDir: join(root, 'app-data'), pickExportPath: async () => target });
    const result = await saving.exportReport(beforeHandle, 'html');
    expect(result).toMatchObject({ savedTo: target, mediaType: 'text/html' });
    expect(result.content).toBeUndefined();
    expect(await readFile(target, 'utf8')).toContain('<!DOCTYPE html>');
    const cancelled = createReviewQueries({ captures, appDataDir: join(root, 'app-data'), pickExportPath: async () => null });
    expect(await cancelled.exportReport(beforeHandle, 'csv')).toMatchObject({ cancelled: true });
  });

  it('shows artifacts as escaped text, refuses memory dumps', async () => {
    const log = await queries.readArtifact(beforeHandle, 'artifacts/helper.log', 0);
    expect(log.kind).toBe('text');
    expect(log.text).toContain('\\x1b[2J');
    await expect(queries.readArtifact(beforeHandle, 'artifacts/memory.elf', 0)).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    await expect(queries.readArtifact(beforeHandle, 'artifacts/../manifest.json', 0)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('buckets process starts for the timeline and lists users for the filter', async () => {
    const facts = await queries.facts(beforeHandle);
    expect(facts.users).toEqual(expect.arrayContaining(['root', 'www-data', 'app']));
    expect(facts.processStarts.reduce((sum, bucket) => sum + bucket.count, 0) + facts.unknownStarts).toBe(before.processCount);
    expect(facts.listeningCount).toBeGreaterThanOrEqual(1);
    expect(facts.hasCgroups).toBe(true);
    const docker = queries.queryProcesses(query({ filters: { cgroup: 'DOCKER-' }, mode: 'flat', limit: 1000 }));
    expect(docker.matching).toBeGreaterThan(0);
    expect(docker.rows.every((row) => row.process.name.text === 'node' || row.process.name.text === 'java')).toBe(true);
    expect(facts.metrics.map((series) => series.name)).toEqual([
      'CPU busy (%)',
      'Memory used (MiB)',
      'Network received (KiB/s)',
      'Network sent (KiB/s)',
      'Disk read (KiB/s)',
      'Disk written (KiB/s)',
    ]);
    expect(facts.metrics[0]?.points).toHaveLength(23);
  });

  it('drops derived state when the capture closes', async () => {
    const capture = await writeBigCapture(join(root, 'closing'), { processCount: 300 });
    const handle = (await captures.open(capture.folder)).handle;
    expect(queries.queryProcesses(query({ handle })).total).toBe(capture.processCount);
    captures.close(handle);
    expect(() => queries.queryProcesses(query({ handle }))).toThrow(WorkbenchFailure);
  });
});
