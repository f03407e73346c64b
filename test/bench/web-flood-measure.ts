import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { createWorkbenchServices } from '../../main/services';
import { startWebServer, type WebServer } from '../../main/web/web-server';
import { writeBigCapture } from '../support/big-capture';

// Measures what one web-mode client flooding queryProcesses costs another client (issue 11, item 4):
// `npx tsx test/bench/web-flood-measure.ts [processes] [calls] [maxInFlight]`. Prints numbers; asserts nothing.

type Answer = { id: number; result: { ok: boolean; value?: { handle?: string }; error?: { code: string } } };

function signIn(url: string): Promise<string> {
  return new Promise((done, fail) => {
    request(url, (res) => {
      res.resume();
      done(String(res.headers['set-cookie']).split(';')[0]!);
    })
      .on('error', fail)
      .end();
  });
}

async function client(web: WebServer, cookie: string) {
  const socket = new WebSocket(`ws://127.0.0.1:${web.port}/api`, { headers: { Cookie: cookie, Origin: web.origin } });
  await new Promise((done) => socket.once('open', done));
  let nextId = 1;
  const waiting = new Map<number, (answer: Answer) => void>();
  const answers: Answer[] = [];
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as Answer & { type: string };
    if (message.type !== 'response') return;
    answers.push(message);
    waiting.get(message.id)?.(message);
  });
  const fire = (method: string, args: unknown): Promise<Answer> => {
    const id = nextId++;
    socket.send(JSON.stringify({ type: 'request', id, method, args }));
    return new Promise((done) => waiting.set(id, done));
  };
  return { socket, fire, answers };
}

async function main(): Promise<void> {
  const processCount = Number(process.argv[2] ?? 200_000);
  const calls = Number(process.argv[3] ?? 10_000);
  // A fourth argument overrides the in-flight limit (a huge one shows the cost without it).
  const maxInFlight = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
  const root = await mkdtemp(join(tmpdir(), 'civic-flood-'));
  try {
    const capture = await writeBigCapture(join(root, 'big'), { processCount });
    await mkdir(join(root, 'renderer'));
    await writeFile(join(root, 'renderer', 'index.html'), '<!doctype html>');
    const services = createWorkbenchServices({ appDataDir: join(root, 'data'), homeDir: join(root, 'home'), resourcesDir: resolve('resources'), transport: 'web' });
    const web = await startWebServer({ services, staticDir: join(root, 'renderer'), ...(maxInFlight === undefined ? {} : { maxInFlight }) });
    const greedy = await client(web, await signIn(web.url));
    const other = await client(web, await signIn(web.newSignInUrl()));
    const opened = await greedy.fire('openCapture', { path: capture.folder });
    const handle = opened.result.value?.handle ?? '';
    const query = { handle, search: 'w.*r', regex: true, filters: {}, sort: { key: 'name', descending: false }, mode: 'tree', collapsed: [], offset: 0, limit: 200 };
    const single = performance.now();
    await greedy.fire('queryProcesses', query);
    const oneQueryMs = performance.now() - single;

    const start = performance.now();
    // Each call searches for something else, so no answer can come from a cache.
    const flood = Array.from({ length: calls }, (_, index) => greedy.fire('queryProcesses', { ...query, search: `w${index}`, regex: false }));
    const otherAnswer = await other.fire('getAppInfo', null);
    const otherMs = performance.now() - start;
    const results = await Promise.all(flood);
    const allMs = performance.now() - start;
    const refused = results.filter((answer) => answer.result.error?.code === 'TOO_MANY_REQUESTS').length;
    console.log(
      JSON.stringify({ processCount, calls, oneQueryMs: Math.round(oneQueryMs), otherClientAnsweredMs: Math.round(otherMs), otherOk: otherAnswer.result.ok, floodDoneMs: Math.round(allMs), refused, served: calls - refused }),
    );
    greedy.socket.close();
    other.socket.close();
    await web.close();
    await services.shutdown();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

void main();
