import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkbenchServices, type WorkbenchServices } from '../../../main/services';
import type { WebServer } from '../../../main/web/web-server';
import { cleanupAll, ensureTestUser, generateKey, makeTempDir, startSshd, type RunningSshd } from '../../support/sshd';
import { openClient, signInWith, startTestServer, type TestClient } from '../../unit/main/web/web-test-server';

// A user of its own, so the deployed helper lands in its home and is removed with it.
const testUser = 'civic-websync';
const hostId = 'ssh-config:kvm';

describe('two pages of the web mode see the same sessions and jobs', () => {
  let dir: string;
  let sshd: RunningSshd;
  let services: WorkbenchServices;
  let web: WebServer;
  let first: TestClient;
  let removeUser: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    dir = await makeTempDir('civic-websync-');
    const home = join(dir, 'home');
    await mkdir(join(home, '.ssh'), { recursive: true });
    const publicKey = await generateKey(join(home, '.ssh', 'id_ed25519'));
    removeUser = await ensureTestUser(testUser, 'unused-Password-1');
    sshd = await startSshd({ authorizedKeys: [publicKey] });
    await writeFile(join(home, '.ssh', 'config'), `Host kvm\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${testUser}\n`);
    await writeFile(join(home, '.ssh', 'known_hosts'), `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
    const staticDir = join(dir, 'renderer');
    await mkdir(staticDir);
    await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Civic</title>');
    services = createWorkbenchServices({ appDataDir: join(dir, 'data'), homeDir: home, resourcesDir: resolve('resources'), transport: 'web' });
    web = await startTestServer({ services, staticDir });
    first = await openClient(web, await signInWith(web.url));
  });

  afterAll(() =>
    cleanupAll([
      () => first?.close(),
      () => web?.close(),
      () => services?.shutdown(),
      () => sshd?.stop(),
      () => removeUser(),
      () => rm(dir, { recursive: true, force: true }),
    ]),
  );

  it('shows a host connected from the first page as connected to a page opened later', async () => {
    expect(await first.ask('listSessions')).toEqual({ ok: true, value: [{ hostId, state: 'disconnected' }] });
    expect(await first.ask('connectHost', { hostId })).toEqual({ ok: true, value: null });
    expect(first.events.filter((event) => event.event === 'sessionState').map((event) => event.payload)).toContainEqual({ hostId, state: 'connected' });

    // The connect starts a background check for interrupted clones; its events would land on the first
    // page only, between counting its events and the second page subscribing. Let it settle first.
    await waitForIdleJobs(first);

    // A reload, or a second tab: a new socket (and here a second browser, through a fresh link).
    const secondCookie = await signInWith(web.newSignInUrl());
    await first.ask('getAppInfo');
    const eventsBeforeSecond = first.events.length;
    const second = await openClient(web, secondCookie);
    try {
      const [mine, theirs] = [await first.ask('listSessions'), await second.ask('listSessions')];
      expect(theirs).toEqual({ ok: true, value: [{ hostId, state: 'connected' }] });
      expect(theirs).toEqual(mine);
      const [myJobs, theirJobs] = [await first.ask('listJobs'), await second.ask('listJobs')];
      expect(theirJobs).toEqual(myJobs);
      expect(theirJobs.value).toContainEqual(expect.objectContaining({ kind: 'connect-host', state: 'succeeded' }));

      // Connect from the later page on the already connected host works and leaves it connected.
      expect(await second.ask('connectHost', { hostId })).toEqual({ ok: true, value: null });
      expect(await second.ask('listSessions')).toEqual({ ok: true, value: [{ hostId, state: 'connected' }] });

      // What happens from now on reaches both pages alike, in the same order. Every event sent before an
      // answer on a socket arrives before it; the first page asks last, so it has all the second has.
      await second.ask('getAppInfo');
      await first.ask('getAppInfo');
      const sinceSecondOpened = first.events.slice(eventsBeforeSecond);
      expect(second.events.length).toBeGreaterThan(0);
      expect(sinceSecondOpened.slice(0, second.events.length)).toEqual(second.events);
    } finally {
      second.close();
    }
  });
});

/** Waits until no job of the service is running (bounded; the check at connect takes seconds). */
async function waitForIdleJobs(client: TestClient): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const jobs = (await client.ask('listJobs')) as { ok: boolean; value?: ReadonlyArray<{ state: string }> };
    if (jobs.ok && (jobs.value ?? []).every((job) => job.state !== 'running')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('jobs still running after 60 s');
}
