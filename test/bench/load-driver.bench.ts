import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { median, type BenchRow, type BenchSection } from './bench-table';
import { helperVerb } from './helper-verb';
import { machineFacts } from './machine';

const run = promisify(execFile);

/** How hard and how long each tool drives the server; both tools get the same. */
export interface LoadBenchOptions {
  readonly concurrency: number;
  readonly seconds: number;
  readonly runs: number;
}

/** The settings `npm run bench -- --only load` uses. */
export const DEFAULT_LOAD_BENCH: LoadBenchOptions = { concurrency: 16, seconds: 5, runs: 3 };

interface StaticServer {
  readonly name: string;
  readonly url: string;
  readonly process: ChildProcess;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function waitUntilServing(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing answered at ${url}`);
}

// A keep-alive static file server in its own Node process: busybox httpd closes every connection,
// so against it both tools mostly measure connection setup and busybox's fork per connection.
const NODE_STATIC_SERVER = `
const http = require('node:http'); const fs = require('node:fs'); const path = require('node:path');
const root = process.argv[1]; const cache = new Map();
http.createServer((request, response) => {
  const file = path.join(root, path.normalize(request.url.split('?')[0]));
  let body = cache.get(file);
  if (body === undefined) { try { body = fs.readFileSync(file); cache.set(file, body); } catch { response.writeHead(404).end(); return; } }
  response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length }).end(body);
}).listen(Number(process.argv[2]), '127.0.0.1');
`;

async function startServers(root: string): Promise<StaticServer[]> {
  const busyboxPort = await freePort();
  const busybox = spawn('busybox', ['httpd', '-f', '-p', `127.0.0.1:${busyboxPort}`, '-h', root], { stdio: 'ignore' });
  const nodePort = await freePort();
  const node = spawn(process.execPath, ['-e', NODE_STATIC_SERVER, root, String(nodePort)], { stdio: 'ignore' });
  const servers = [
    { name: 'busybox httpd (closes each connection)', url: `http://127.0.0.1:${busyboxPort}/file.bin`, process: busybox },
    { name: 'Node http, keep-alive', url: `http://127.0.0.1:${nodePort}/file.bin`, process: node },
  ];
  for (const server of servers) await waitUntilServing(server.url);
  return servers;
}

interface Measured {
  readonly rate: number;
  readonly errors: number;
  readonly p99Ms?: number;
}

async function ourDriver(url: string, options: LoadBenchOptions, helperRoot: string): Promise<Measured> {
  const args = { targets: [url], mode: 'closed', concurrency: options.concurrency, warmupSeconds: 0, durationSeconds: options.seconds };
  // The driver's own ceiling, against a plain loopback server: no twin stands behind it here.
  const payload = await helperVerb('load', args, { root: helperRoot, env: { ...process.env, CIVIC_HELPER_LOAD_ANY_LOOPBACK: '1' } });
  const report = (payload as { report: { responseRate: number; requests: { errors: number }; latencyMs: { p99: number } } }).report;
  return { rate: report.responseRate, errors: report.requests.errors, p99Ms: report.latencyMs.p99 };
}

async function wrk(url: string, options: LoadBenchOptions): Promise<Measured> {
  const { stdout } = await run('wrk', ['-t1', `-c${options.concurrency}`, `-d${options.seconds}s`, url]).catch((error: unknown) => {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw missing ? new Error('wrk is not installed: `apt-get install -y wrk` (the bench only; no test needs it)') : error;
  });
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1];
  if (rate === undefined) throw new Error(`wrk printed no rate: ${stdout}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((sum, count) => sum + Number(count), 0) : 0);
  return { rate: Number(rate), errors };
}

function describe(values: readonly Measured[]): string {
  const rates = values.map((value) => value.rate);
  return `${median(rates).toFixed(0)} req/s (${Math.min(...rates).toFixed(0)} to ${Math.max(...rates).toFixed(0)})`;
}

/** The load driver's ceiling against static file servers on loopback, beside wrk run the same way. */
export async function benchLoadDriver(options: LoadBenchOptions = DEFAULT_LOAD_BENCH): Promise<BenchSection> {
  const root = await mkdtemp(join(tmpdir(), 'civic-bench-load-'));
  const machine = machineFacts();
  const loadBefore = loadavg()[0] ?? 0;
  let servers: StaticServer[] = [];
  try {
    await writeFile(join(root, 'file.bin'), Buffer.alloc(1024, 'x'));
    servers = await startServers(root);
    const rows: BenchRow[] = [];
    for (const server of servers) {
      const ours: Measured[] = [];
      const theirs: Measured[] = [];
      // Interleaved, so drift in what else runs on the machine favours neither tool.
      for (let index = 0; index < options.runs; index += 1) {
        ours.push(await ourDriver(server.url, options, join(root, 'helper-root')));
        theirs.push(await wrk(server.url, options));
      }
      const ratio = median(ours.map((value) => value.rate)) / median(theirs.map((value) => value.rate));
      rows.push({
        name: `${server.name}: civic-helper load, closed loop`,
        value: describe(ours),
        baseline: `wrk -t1 -c${options.concurrency} -d${options.seconds}s: ${describe(theirs)}`,
        note: `ratio ${ratio.toFixed(2)}; errors ${ours.reduce((sum, value) => sum + value.errors, 0)} vs ${theirs.reduce((sum, value) => sum + value.errors, 0)}; our p99 ${median(ours.map((value) => value.p99Ms ?? 0)).toFixed(1)} ms`,
      });
    }
    return {
      title: 'Load driver ceiling (helper `load` verb against wrk, loopback)',
      description:
        `A 1 KiB file served on 127.0.0.1 by busybox httpd and by a keep-alive Node http server, driven by ` +
        `\`civic-helper load\` (closed loop, ${options.concurrency} connections, no warm-up, ${options.seconds} s) and by ` +
        `Debian's \`wrk\` with the same connections and duration; ${options.runs} runs of each, interleaved, median ` +
        `(min to max) of responses per second. Driver, server and wrk share the machine's cores, so the ` +
        `server's own cost is in every number. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ` +
        `${machine.os}; Python ${pythonVersion()}; load average ${loadBefore.toFixed(1)} when it started (other work running alongside).`,
      rows,
    };
  } finally {
    for (const server of servers) server.process.kill('SIGTERM');
    await rm(root, { recursive: true, force: true });
  }
}

function pythonVersion(): string {
  try {
    return execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim().replace('Python ', '');
  } catch {
    return 'unknown';
  }
}
