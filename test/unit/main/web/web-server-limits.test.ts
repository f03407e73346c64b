import { afterEach, describe, expect, it } from 'vitest';
import type { AppInfo } from '../../../../preload/api';
import type { WorkbenchServices } from '../../../../main/services';
import type { WebServer } from '../../../../main/web/web-server';
import { useTempFolders } from '../../../support/temp-folders';
import { makeServices, openClient, send, signInWith, startTestServer } from './web-test-server';

const tempFolder = useTempFolders('civic-web-limits');

let web: WebServer | undefined;
let services: WorkbenchServices | undefined;
afterEach(async () => {
  await web?.close();
  await services?.shutdown();
  web = undefined;
  services = undefined;
});

async function start(wrap: (real: WorkbenchServices) => WorkbenchServices = (real) => real, maxInFlight?: number): Promise<WebServer> {
  const made = makeServices(tempFolder());
  services = made.services;
  web = await startTestServer({ services: wrap(made.services), staticDir: made.staticDir, ...(maxInFlight === undefined ? {} : { maxInFlight }) });
  return web;
}

describe('the one-time sign-in token', () => {
  it('is dead after one exchange: a second browser gets a page saying how to get a new URL', async () => {
    const server = await start();
    const cookie = await signInWith(server.url);
    expect(cookie).not.toContain(server.token);
    expect((await send(`${server.origin}/`, { headers: { Cookie: cookie } })).status).toBe(200);

    const second = await send(server.url);
    expect(second.status).toBe(410);
    expect(second.headers['content-type']).toContain('text/html');
    expect(second.headers['set-cookie']).toBeUndefined();
    expect(second.body).toContain('already used');
    expect(second.body).toContain('civic serve');
    // The token itself is no cookie either.
    expect((await send(`${server.origin}/`, { headers: { Cookie: `civic_token_${server.port}=${server.token}` } })).status).toBe(401);
  });

  it('lets the browser that used it open it again, and mints fresh one-time URLs for others', async () => {
    const server = await start();
    const cookie = await signInWith(server.url);
    const again = await send(server.url, { headers: { Cookie: cookie } });
    expect(again.status).toBe(303);
    expect(again.headers['set-cookie']).toBeUndefined();

    const fresh = server.newSignInUrl();
    expect(fresh).not.toBe(server.url);
    const otherCookie = await signInWith(fresh);
    expect(otherCookie).not.toBe(cookie);
    expect((await send(fresh)).status).toBe(410);
    const client = await openClient(server, otherCookie);
    expect((await client.ask('getAppInfo')).ok).toBe(true);
    client.close();
  });
});

describe('the in-flight limit per connection', () => {
  it('refuses calls beyond the limit at once and answers another client meanwhile', async () => {
    // getAppInfo is held until released, so the first calls stay in flight for as long as the test wants.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const server = await start(
      (real) => ({ ...real, app: { ...real.app, info: async (): Promise<AppInfo> => (await held, real.app.info()) } }),
      16,
    );
    const cookie = await signInWith(server.url);
    const greedy = await openClient(server, cookie);
    const other = await openClient(server, cookie);

    const ids = Array.from({ length: 200 }, () => greedy.fire('getAppInfo'));
    const answered = await other.ask('listJobs');
    expect(answered).toMatchObject({ ok: true });
    // The greedy client's excess is already refused by the time the other client was answered...
    const settle = await greedy.ask('listJobs');
    expect(settle).toMatchObject({ ok: false, error: { code: 'TOO_MANY_REQUESTS' } });
    const refused = greedy.arrivals.filter((message) => message.type === 'response' && message.result?.error?.code === 'TOO_MANY_REQUESTS');
    expect(refused.map((message) => message.id)).toEqual([...ids.slice(16), ids.length + 1]);
    // ...and none of its held calls has been answered yet.
    expect(greedy.arrivals.some((message) => message.type === 'response' && message.result?.ok === true)).toBe(false);

    release();
    const succeeded = (): (number | undefined)[] =>
      greedy.arrivals.filter((message) => message.type === 'response' && message.result?.ok === true).map((message) => message.id);
    // The other client's round trips give the server turns to finish the released calls.
    for (let turn = 0; turn < 100 && succeeded().length < 16; turn += 1) await other.ask('listJobs');
    expect(succeeded().sort((a, b) => a! - b!)).toEqual(ids.slice(0, 16));
    expect(await greedy.ask('getAppInfo')).toMatchObject({ ok: true });
    greedy.close();
    other.close();
  });
});
