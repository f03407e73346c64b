import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labVm, queryVmStatus, readLabInfo, withQmp, type LabInfo, type LabVmInfo } from '../../support/lab';

// No twin outlives its lease, whatever becomes of the process that started it: the CLI (`civic twin
// start`, renewing in the foreground) and the app (its services in a Node process) are killed with
// SIGKILL while their twin runs, and the host's lease keeper must remove the twin's QEMU, overlays and
// session files within the lease + 30 s, with production running and its disk chain as it was.

const TTL_SECONDS = 60;
let lab: LabInfo;
let web: LabVmInfo;
let home: string;
const children: ChildProcess[] = [];

/** The clone QEMU of a twin on this machine (the lab host is local): its PID and session folder. */
async function twinQemu(twinId: string): Promise<{ pid: number; sessionDir: string } | null> {
  const { readdir } = await import('node:fs/promises');
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const parts = argv.split('\0');
    if (!parts.includes(`guest=civic-clone-${twinId}`)) continue;
    const pidfile = parts[parts.indexOf('-pidfile') + 1] ?? '';
    return { pid: Number(entry), sessionDir: dirname(pidfile) };
  }
  return null;
}

/** Source block nodes the clones add (`civic-...`): none may be left on production. */
async function sourceCloneNodes(vm: LabVmInfo): Promise<string[]> {
  const nodes = await withQmp(vm.qmpSocketPath ?? '', (qmp) => qmp.execute('query-named-block-nodes', { flat: true }));
  return (nodes as { 'node-name': string }[]).map((node) => node['node-name']).filter((name) => name.startsWith('civic-'));
}

/** Whether a PID runs (signal 0), and is no zombie. */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !/\) Z /.test(readFileSyncSafe(`/proc/${pid}/stat`));
}

function readFileSyncSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Starts a process and resolves with its first stdout line that parses as JSON or names a twin. */
function startHolder(argv: readonly string[]): Promise<{ child: ChildProcess; twinId: string }> {
  const child = spawn(process.execPath, argv, { env: { ...process.env, HOME: home, CIVIC_DATA_DIR: join(home, 'data') }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  return new Promise((resolvePromise, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const twinId = /\bcw-[0-9a-f]{12}\b/.exec(output)?.[0];
      if (twinId) resolvePromise({ child, twinId });
    });
    child.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${String(code)} before naming a twin:\n${output}\n${errors}`)));
  });
}

async function waitFor(check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if (await check()) return Date.now() - started;
    await new Promise((wake) => setTimeout(wake, 1000));
  }
  throw new Error(`not within ${withinMs / 1000} s`);
}

/** After the holder's death: within the lease + 30 s the twin is gone, by PID and by path; production as it was. */
async function expectGoneWithinLease(vm: LabVmInfo, twin: { pid: number; sessionDir: string }, killedAt: number, lastRenewAt: number): Promise<number> {
  const deadline = lastRenewAt + (TTL_SECONDS + 30) * 1000;
  await waitFor(async () => !isProcessAlive(twin.pid) && !(await exists(twin.sessionDir)), deadline - Date.now());
  const goneAfterKill = (Date.now() - killedAt) / 1000;
  expect(isProcessAlive(twin.pid)).toBe(false);
  expect(await exists(twin.sessionDir)).toBe(false);
  expect(await queryVmStatus(vm.qmpSocketPath ?? '')).toBe('running');
  expect(await sourceCloneNodes(vm)).toEqual([]);
  return goneAfterKill;
}

beforeAll(async () => {
  lab = await readLabInfo();
  web = labVm(lab, 'lab-web');
  home = await mkdtemp(join(tmpdir(), 'civic-lease-home-'));
  await mkdir(join(home, '.ssh'), { recursive: true });
  await writeFile(join(home, '.ssh', 'known_hosts'), `${lab.ssh.knownHostsLine.trim()}\n`);
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  if (home) await rm(home, { recursive: true, force: true });
});

/** The CLI, renewing: the twin outlives its first lease; killed, the host ends it within the lease + 30 s. */
async function cliCase(): Promise<string> {
  const civic = resolve('bin/civic.js');
  const add = spawn(process.execPath, [civic, 'hosts', 'add', 'lab', `root@${lab.ssh.host}:${lab.ssh.port}`, '--identity', lab.ssh.privateKeyPath, '--qmp-dir', dirname(web.qmpSocketPath ?? '/')], {
    env: { ...process.env, HOME: home, CIVIC_DATA_DIR: join(home, 'data') },
    stdio: 'ignore',
  });
  expect(await new Promise((done) => add.on('exit', done))).toBe(0);
  const startedAt = Date.now();
  const { child, twinId } = await startHolder([civic, 'twin', 'start', 'lab', 'lab-web', '--ttl', `${TTL_SECONDS}s`]);
  const twin = await twinQemu(twinId);
  if (twin === null) throw new Error(`no QEMU for twin ${twinId}`);
  expect(await readlink(`/proc/${twin.pid}/exe`)).toMatch(/qemu-system/);
  // Past the first lease (the CLI renews every 20 s): still there.
  await new Promise((wake) => setTimeout(wake, Math.max(0, startedAt + (TTL_SECONDS + 20) * 1000 - Date.now())));
  expect(isProcessAlive(twin.pid)).toBe(true);
  expect(await exists(twin.sessionDir)).toBe(true);
  const lease = JSON.parse(await readFile(join(twin.sessionDir, 'lease.json'), 'utf8')) as { expiresAt: number; renewedAt?: number };
  expect(lease.expiresAt * 1000).toBeGreaterThan(Date.now());
  const killedAt = Date.now();
  child.kill('SIGKILL');
  const goneAfter = await expectGoneWithinLease(web, twin, killedAt, (lease.renewedAt ?? lease.expiresAt - TTL_SECONDS) * 1000);
  return `civic twin start killed after its lease was renewed: twin of lab-web gone ${goneAfter.toFixed(1)} s after kill -9 (lease ${TTL_SECONDS} s)`;
}

/** The app (its services in one Node process), killed right after its twin is up. */
async function appCase(): Promise<string> {
  const ssh = labVm(lab, 'lab-ssh');
  const config = { home, host: { hostName: lab.ssh.host, port: lab.ssh.port, identityFile: lab.ssh.privateKeyPath, qmpDir: dirname(ssh.qmpSocketPath ?? '/') }, vmName: 'lab-ssh', ttlSeconds: TTL_SECONDS };
  const { child, twinId } = await startHolder(['--import', 'tsx', resolve('test/support/twin-holder.ts'), JSON.stringify(config)]);
  const twin = await twinQemu(twinId);
  if (twin === null) throw new Error(`no QEMU for twin ${twinId}`);
  const lease = JSON.parse(await readFile(join(twin.sessionDir, 'lease.json'), 'utf8')) as { expiresAt: number };
  const killedAt = Date.now();
  child.kill('SIGKILL');
  const goneAfter = await expectGoneWithinLease(ssh, twin, killedAt, (lease.expiresAt - TTL_SECONDS) * 1000);
  return `app process killed: twin of lab-ssh gone ${goneAfter.toFixed(1)} s after kill -9 (lease ${TTL_SECONDS} s)`;
}

describe('a twin whose starter is killed with SIGKILL', () => {
  // Both at once (twins of two VMs), so the tier waits for one lease, not two.
  it('the CLI (renewing, then killed) and the app (killed at once): each twin is gone within its lease + 30 s, production running', async () => {
    const lines = await Promise.all([cliCase(), appCase()]);
    for (const line of lines) console.log(line);
  }, 400_000);
});
