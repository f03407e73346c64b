import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { encodeCpio } from './cpio-archive';
import { findFreePort } from './free-port';
import { ANALYST_PASSWORD_PATH, ANALYST_USER, ensureAnalystUser, removeAnalystUser, startHostSshd } from './host-sshd';
import { currentCacheKey, ensureImage, type LabImage } from './image-build';
import { LabError } from './lab-error';
import type { ForwardedPort, LabInfo, LabVmInfo } from './lab-info';
import { resolveLabPaths, runtimeEntries, type LabPaths } from './lab-paths';
import { emptyState, readState, writeState, type LabOwner, type LabState } from './lab-state';
import { countLiveUsers, registerLabUser, releaseLabUser, withLabLock } from './lab-lock';
import { claimDomainName, ensureLibvirtd, libvirtDomainState, removeLibvirtVm, startLibvirtVm, waitForLibvirtAgent } from './libvirt-vm';
import { describeProcess, isProcessAlive, readRssBytes, stopProcess, type LabProcess } from './process-tools';
import { withQga } from './qga-client';
import { queryVmStatus } from './qmp-client';
import { startQemuVm } from './qemu-vm';
import { runCommand } from './run-command';
import { waitForSshBanner } from './ssh-banner';
import { ensureKeyPair, knownHostsLine } from './ssh-keys';
import { guestAddress, LAB_MACHINE_TYPE, selectVms, type LabVmSpec } from './vm-catalog';

/** Options for {@link labUp}. */
export interface LabUpOptions {
  /** Lab folder; default env CIVIC_LAB_DIR or `.lab/`. */
  readonly labDir?: string;
  /** VMs to start (`lab-web,lab-db`); default all. */
  readonly vms?: string | readonly string[];
  /** Fake package versions for the cache key (simulates an upgrade). */
  readonly versionOverrides?: Readonly<Record<string, string>>;
  /** Who starts it (default `cli`); test teardown only stops labs that tests started. */
  readonly owner?: LabOwner;
  /** Seconds each guest may take to answer; default 180 (TCG, VMs booting side by side). */
  readonly bootTimeoutSeconds?: number;
  readonly log?: (line: string) => void;
}

/** Options for {@link labDown} and {@link labStatus}. */
export interface LabFolderOptions {
  readonly labDir?: string;
  readonly log?: (line: string) => void;
}

/** Per-VM live state as `status` reports it. */
export interface LabVmStatus {
  readonly name: string;
  readonly kind: string;
  readonly pid: number;
  /** QMP `query-status` or `virsh domstate`; `unreachable` when neither answers. */
  readonly state: string;
}

/** What `status` reports. */
export interface LabStatusReport {
  readonly labDir: string;
  readonly info: LabInfo | null;
  /** Cache key the current packages and build files give (a rebuild happens when it differs). */
  readonly currentCacheKey: string;
  readonly processes: readonly (LabProcess & { readonly alive: boolean })[];
  readonly vms: readonly LabVmStatus[];
}

const DATA_DISK_SIZE = '64M';

/**
 * Brings the lab up: builds or reuses the image, starts the host sshd pair and the chosen VMs.
 *
 * A lab already running with every requested VM is reused as is. On any failure everything started
 * so far is stopped again before the error is rethrown.
 */
export async function labUp(options: LabUpOptions = {}): Promise<LabInfo> {
  const paths = resolveLabPaths(options.labDir);
  return withLabLock(paths, () => upLocked(paths, options));
}

/**
 * Brings the lab up (or reuses it) for a test run and records the run as a user of it.
 *
 * Pair with {@link labRelease}: the last user out takes down a lab that tests started.
 */
export async function labAcquire(options: LabUpOptions = {}): Promise<LabInfo> {
  const paths = resolveLabPaths(options.labDir);
  return withLabLock(paths, async () => {
    const info = await upLocked(paths, { ...options, owner: options.owner ?? 'tests' });
    await registerLabUser(paths.usersDir);
    return info;
  });
}

/**
 * Ends this process's use of the lab; takes it down when no other live run uses it, tests started it
 * and `keep` is false. Returns true when it took the lab down.
 */
export async function labRelease(options: LabFolderOptions & { readonly keep?: boolean } = {}): Promise<boolean> {
  const paths = resolveLabPaths(options.labDir);
  return withLabLock(paths, async () => {
    const others = await releaseLabUser(paths.usersDir);
    const state = await readState(paths.stateFile);
    if (others > 0 || options.keep || !state || state.owner !== 'tests') return false;
    await downLocked(paths, options.log ?? (() => undefined));
    return true;
  });
}

async function upLocked(paths: LabPaths, options: LabUpOptions): Promise<LabInfo> {
  const log = options.log ?? (() => undefined);
  const specs = selectVms(options.vms);
  const existing = await readState(paths.stateFile);
  if (existing?.info && (await everythingAlive(existing)) && specs.every((spec) => existing.info?.vms.some((vm) => vm.name === spec.name))) {
    log(`lab already running in ${paths.root}: reused`);
    return existing.info;
  }
  if (existing?.info && (await everythingAlive(existing)) && (await countLiveUsers(paths.usersDir)) > 0) {
    throw new LabError(
      `the running lab lacks ${specs.filter((spec) => !existing.info?.vms.some((vm) => vm.name === spec.name)).map((spec) => spec.name).join(', ')} and another test run uses it`,
      'wait for that run, or start the lab with every VM: lab up',
    );
  }
  if (existing) {
    log('a partial or stale lab is recorded: taking it down first');
    await downLocked(paths, log);
  }

  const image = await ensureImage({ cacheRoot: paths.cacheRoot, versionOverrides: options.versionOverrides ?? {}, log });
  for (const folder of [paths.root, paths.runDir, paths.qmpDir, paths.qgaDir, paths.logDir, paths.sshDir, paths.diskDir]) {
    await mkdir(folder, { recursive: true });
    // The analyst's sshd session reads its authorized_keys file below here.
    await chmod(folder, 0o755);
  }
  const state = emptyState(options.owner ?? 'cli');
  await writeState(paths.stateFile, state);
  try {
    const info = await startEverything(paths, specs, image, state, options.bootTimeoutSeconds ?? 180, log);
    state.info = info;
    await writeState(paths.stateFile, state);
    return info;
  } catch (error) {
    log(`up failed: ${error instanceof Error ? error.message : String(error)}; cleaning up`);
    // The rollback's own failure is logged; the error that stopped `up` is the one to report.
    await downLocked(paths, log).catch((cleanup: unknown) => log(`cleanup after the failed up: ${cleanup instanceof Error ? cleanup.message : String(cleanup)}`));
    throw error;
  }
}

/**
 * Stops everything the lab started (by recorded PID; libvirt domains by destroy + undefine), removes
 * the analyst account and its sudo rule (unless another lab still runs) and the runtime files.
 * Returns the processes it stopped; rejects, after doing all it can, when a domain stays defined.
 */
export async function labDown(options: LabFolderOptions = {}): Promise<readonly LabProcess[]> {
  const paths = resolveLabPaths(options.labDir);
  return withLabLock(paths, () => downLocked(paths, options.log ?? (() => undefined)));
}

async function downLocked(paths: LabPaths, log: (line: string) => void): Promise<readonly LabProcess[]> {
  const state = await readState(paths.stateFile);
  const failures: string[] = [];
  if (state) {
    for (const domain of state.libvirtDomains) {
      log(`libvirt: destroy and undefine ${domain}`);
      await removeLibvirtVm(domain).catch((error: unknown) => failures.push(error instanceof Error ? error.message : String(error)));
    }
    for (const process of [...state.processes].reverse()) {
      log(`stop ${process.role} (pid ${process.pid})`);
      await stopProcess(process);
    }
    // The account was made by `up` (state exists); its sshd sessions ended with the sshds above.
    const analyst = await removeAnalystUser(paths.root).catch((error: unknown) => `analyst account: ${error instanceof Error ? error.message : String(error)}`);
    if (analyst) log(analyst);
  }
  for (const entry of runtimeEntries(paths)) {
    await rm(entry, { recursive: true, force: true });
  }
  // Remove the lab folder itself only when nothing else lives there.
  if ((await readdir(paths.root).catch(() => ['?'])).length === 0) await rmdir(paths.root).catch(() => undefined);
  if (failures.length > 0) throw new LabError(`down left libvirt domains behind: ${failures.join('; ')}`);
  return state?.processes ?? [];
}

/** Reports what runs, each VM's state and the cache key; starts or stops nothing. */
export async function labStatus(options: LabFolderOptions = {}): Promise<LabStatusReport> {
  const paths = resolveLabPaths(options.labDir);
  const state = await readState(paths.stateFile);
  const { cacheKey } = await currentCacheKey();
  const processes = await Promise.all((state?.processes ?? []).map(async (process) => ({ ...process, alive: await isProcessAlive(process) })));
  const vms: LabVmStatus[] = [];
  for (const vm of state?.info?.vms ?? []) {
    vms.push({ name: vm.name, kind: vm.kind, pid: vm.pid, state: await vmState(vm) });
  }
  return { labDir: paths.root, info: state?.info ?? null, currentCacheKey: cacheKey, processes, vms };
}

/** Reads a VM's run state: QMP `query-status` for bare QEMU, `virsh domstate` for libvirt. */
export async function vmState(vm: Pick<LabVmInfo, 'kind' | 'qmpSocketPath' | 'libvirtDomain'>): Promise<string> {
  try {
    if (vm.kind === 'libvirt' && vm.libvirtDomain) return await libvirtDomainState(vm.libvirtDomain);
    if (vm.qmpSocketPath) return await queryVmStatus(vm.qmpSocketPath);
  } catch {
    // Fall through: a dead VM has no socket to answer.
  }
  return 'unreachable';
}

async function everythingAlive(state: LabState): Promise<boolean> {
  for (const process of state.processes) {
    if (!(await isProcessAlive(process))) return false;
  }
  return state.processes.length > 0;
}

async function startEverything(
  paths: LabPaths,
  specs: readonly LabVmSpec[],
  image: LabImage,
  state: LabState,
  bootTimeoutSeconds: number,
  log: (line: string) => void,
): Promise<LabInfo> {
  const record = async (process: LabProcess): Promise<void> => {
    state.processes.push(process);
    await writeState(paths.stateFile, state);
  };

  // Keys: one client key for every login, one host key per server.
  const privateKeyPath = join(paths.sshDir, 'id_ed25519');
  const clientPublicKey = await ensureKeyPair(privateKeyPath, 'civic-lab-client');
  const hostPublicKey = await ensureKeyPair(join(paths.sshDir, 'host_ed25519_key'), 'civic-lab-host');
  const jumpPublicKey = await ensureKeyPair(join(paths.sshDir, 'jump_host_ed25519_key'), 'civic-lab-jump');
  const guestPublicKey = await ensureKeyPair(join(paths.sshDir, 'guest_host_ed25519_key'), 'civic-lab-guest');
  const authorizedKeysDir = join(paths.sshDir, 'authorized_keys');
  await mkdir(authorizedKeysDir, { recursive: true, mode: 0o755 });
  for (const user of ['root', ANALYST_USER]) {
    await writeFile(join(authorizedKeysDir, user), `${clientPublicKey}\n`, { mode: 0o644 });
  }
  const analystPassword = await sharedAnalystPassword();
  await ensureAnalystUser(analystPassword);

  const sshPort = await findFreePort();
  const jumpPort = await findFreePort();
  for (const [role, port, key] of [['sshd', sshPort, 'host_ed25519_key'], ['jump-sshd', jumpPort, 'jump_host_ed25519_key']] as const) {
    const pid = await startHostSshd({ role, port, hostKeyPath: join(paths.sshDir, key), authorizedKeysDir, runDir: paths.runDir, logDir: paths.logDir });
    const process = await describeProcess(role, pid);
    await record(process);
    await waitForSshBanner(port, 15_000, () => isProcessAlive(process));
    log(`${role} on 127.0.0.1:${port} (pid ${pid})`);
  }

  if (specs.some((spec) => spec.kind === 'libvirt')) {
    await ensureLibvirtd(log, async (daemon) => {
      await record(daemon);
      log(`started ${daemon.role} (pid ${daemon.pid})`);
    });
  }

  // Start every VM first, then wait for all of them: the boots overlap.
  const launched: { spec: LabVmSpec; pid: number; startedAt: number; vm: Omit<LabVmInfo, 'bootSeconds' | 'rssBytes'> }[] = [];
  for (const spec of specs) {
    const diskPath = join(paths.diskDir, `${spec.name}.qcow2`);
    await runCommand('qemu-img', ['create', '-q', '-f', 'qcow2', diskPath, DATA_DISK_SIZE]);
    const forwardedPorts: ForwardedPort[] = [];
    for (const guestPort of spec.forwardedGuestPorts) forwardedPorts.push({ guestPort, hostPort: await findFreePort() });
    const startedAt = performance.now();
    if (spec.kind === 'libvirt') {
      await claimDomainName(spec.name, paths.runDir, log);
      state.libvirtDomains.push(spec.name);
      await writeState(paths.stateFile, state);
      const pid = await startLibvirtVm({ spec, kernelPath: image.kernelPath, initramfsPath: image.initramfsPath, diskPath, runDir: paths.runDir, logDir: paths.logDir }, log);
      launched.push({
        spec,
        pid,
        startedAt,
        vm: { name: spec.name, kind: 'libvirt', variant: spec.variant, agent: spec.agent, pid, qmpSocketPath: null, qgaSocketPath: null, libvirtDomain: spec.name, forwardedPorts, guestAddress: guestAddress(spec), diskPath, machineType: LAB_MACHINE_TYPE },
      });
      continue;
    }
    const qmpSocketPath = join(paths.qmpDir, `${spec.name}.qmp`);
    const qgaSocketPath = spec.agent === 'qga' ? join(paths.qgaDir, `${spec.name}.qga`) : null;
    const initramfsPath = spec.agent === 'ssh' ? await guestSshInitramfs(paths, image, spec, clientPublicKey) : image.initramfsPath;
    const pid = startQemuVm({ spec, kernelPath: image.kernelPath, initramfsPath, diskPath, qmpSocketPath, qgaSocketPath, forwards: forwardedPorts, logDir: paths.logDir });
    await record(await describeProcess(`qemu:${spec.name}`, pid));
    launched.push({
      spec,
      pid,
      startedAt,
      vm: { name: spec.name, kind: 'qemu', variant: spec.variant, agent: spec.agent, pid, qmpSocketPath, qgaSocketPath, libvirtDomain: null, forwardedPorts, guestAddress: guestAddress(spec), diskPath, machineType: LAB_MACHINE_TYPE },
    });
  }

  const vms = await Promise.all(
    launched.map(async ({ spec, pid, startedAt, vm }): Promise<LabVmInfo> => {
      await waitUntilGuestAnswers(vm, pid, bootTimeoutSeconds * 1000);
      const bootSeconds = Number(((performance.now() - startedAt) / 1000).toFixed(2));
      const rssBytes = (await readRssBytes(pid)) ?? 0;
      log(`${spec.name} (${vm.kind}, ${spec.variant}) answered after ${bootSeconds} s, QEMU pid ${pid}, RSS ${(rssBytes / 2 ** 20).toFixed(0)} MiB`);
      return { ...vm, bootSeconds, rssBytes };
    }),
  );

  const guestSshVm = vms.find((vm) => vm.agent === 'ssh');
  const guestSshPort = guestSshVm?.forwardedPorts.find((forward) => forward.guestPort === 22)?.hostPort ?? null;
  const knownHosts = [knownHostsLine(sshPort, hostPublicKey), knownHostsLine(jumpPort, jumpPublicKey)];
  if (guestSshPort !== null) knownHosts.push(knownHostsLine(guestSshPort, guestPublicKey));
  const knownHostsPath = join(paths.sshDir, 'known_hosts');
  await writeFile(knownHostsPath, `${knownHosts.join('\n')}\n`, { mode: 0o644 });
  const sshConfigPath = join(paths.sshDir, 'ssh_config');
  await writeFile(sshConfigPath, sshClientConfig({ privateKeyPath, knownHostsPath, sshPort, jumpPort, guestSshPort }), { mode: 0o644 });

  return {
    labDir: paths.root,
    cacheKey: image.cacheKey,
    imageDir: image.directory,
    imageReused: image.reused,
    imageBuildSeconds: image.buildSeconds,
    ssh: {
      host: '127.0.0.1',
      port: sshPort,
      user: 'root',
      knownHostsLine: knownHosts[0] ?? '',
      privateKeyPath,
      publicKeyPath: `${privateKeyPath}.pub`,
      knownHostsPath,
      sshConfigPath,
      analystUser: ANALYST_USER,
      analystPassword,
    },
    jumpHost: { host: '127.0.0.1', port: jumpPort, user: 'root', knownHostsLine: knownHosts[1] ?? '' },
    guestSsh: guestSshPort === null ? null : { host: '127.0.0.1', port: guestSshPort, user: 'root', knownHostsLine: knownHosts[2] ?? '' },
    vms,
    processes: [...state.processes],
    startedAt: new Date().toISOString(),
  };
}

/**
 * An ssh_config naming every lab endpoint, for `ssh -F FILE civic-lab`.
 *
 * Jump hosts ignore `-o` options given on the command line, so the known_hosts and key settings for
 * `civic-lab-via-jump` must come from a config file.
 */
export function sshClientConfig(settings: {
  readonly privateKeyPath: string;
  readonly knownHostsPath: string;
  readonly sshPort: number;
  readonly jumpPort: number;
  readonly guestSshPort: number | null;
}): string {
  const common = [
    '  HostName 127.0.0.1',
    '  User root',
    `  IdentityFile ${settings.privateKeyPath}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${settings.knownHostsPath}`,
    '  StrictHostKeyChecking yes',
    '  BatchMode yes',
  ];
  const hosts: [string, number, string[]][] = [
    ['civic-lab', settings.sshPort, []],
    ['civic-lab-jump', settings.jumpPort, []],
    ['civic-lab-via-jump', settings.sshPort, ['  ProxyJump civic-lab-jump']],
  ];
  if (settings.guestSshPort !== null) hosts.push(['civic-lab-guest', settings.guestSshPort, []]);
  return `${hosts.map(([name, port, extra]) => [`Host ${name}`, ...common, `  Port ${port}`, ...extra].join('\n')).join('\n\n')}\n`;
}

/**
 * The analyst's password, kept machine-wide (`ANALYST_PASSWORD_PATH`, root only), like the account:
 * two lab folders with different caches (a CI checkout beside a working copy, a test's private lab)
 * must not set it under each other, or one lab's `sudo -S` fails with the other's password.
 */
async function sharedAnalystPassword(): Promise<string> {
  const existing = await readFile(ANALYST_PASSWORD_PATH, 'utf8').catch(() => '');
  if (existing.trim()) return existing.trim();
  await mkdir(dirname(ANALYST_PASSWORD_PATH), { recursive: true, mode: 0o700 });
  const password = randomBytes(12).toString('hex');
  // `wx`: when two labs start at once, one writes and the other reads what it wrote.
  const written = await writeFile(ANALYST_PASSWORD_PATH, `${password}\n`, { mode: 0o600, flag: 'wx' }).then(
    () => true,
    () => false,
  );
  return written ? password : (await readFile(ANALYST_PASSWORD_PATH, 'utf8')).trim();
}

async function waitUntilGuestAnswers(vm: Omit<LabVmInfo, 'bootSeconds' | 'rssBytes'>, pid: number, timeoutMs: number): Promise<void> {
  if (vm.kind === 'libvirt' && vm.libvirtDomain) {
    await waitForLibvirtAgent(vm.libvirtDomain, timeoutMs);
    return;
  }
  const qemuRuns = (): Promise<boolean> => isProcessAlive({ role: vm.name, pid, startTime: '' });
  if (vm.qgaSocketPath) {
    await waitForSocketFile(vm.qgaSocketPath, qemuRuns);
    const ping = await withQga(vm.qgaSocketPath, (client) => client.execute('guest-ping'), timeoutMs).catch(async (error: unknown) => {
      if (!(await qemuRuns())) throw new LabError(`QEMU for ${vm.name} exited while booting`, 'see its .qemu.log and .console.log');
      throw error;
    });
    if (ping === undefined) throw new LabError(`qemu-ga in ${vm.name} gave no guest-ping reply`);
    return;
  }
  const sshForward = vm.forwardedPorts.find((forward) => forward.guestPort === 22);
  if (!sshForward) throw new LabError(`${vm.name} has neither qemu-ga nor a forwarded SSH port`);
  await waitForSshBanner(sshForward.hostPort, timeoutMs, qemuRuns);
}

/** Waits until QEMU has created a listening socket (it does so a moment after it starts). */
async function waitForSocketFile(path: string, qemuRuns: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!existsSync(path)) {
    if (!(await qemuRuns())) throw new LabError(`QEMU exited before creating ${path}`, 'see its .qemu.log');
    if (Date.now() > deadline) throw new LabError(`QEMU created no socket ${path} within 30 s`);
    await delay(50);
  }
}

/**
 * The lab-ssh initramfs: the cached image plus a small archive with this run's keys.
 *
 * The kernel unpacks concatenated archives in order, so the cached image stays key-free.
 */
async function guestSshInitramfs(paths: LabPaths, image: LabImage, spec: LabVmSpec, clientPublicKey: string): Promise<string> {
  const overlay = encodeCpio([
    { kind: 'directory', path: 'etc/lab' },
    { kind: 'file', path: 'etc/lab/authorized_keys', data: Buffer.from(`${clientPublicKey}\n`), mode: 0o600 },
    { kind: 'directory', path: 'etc/ssh' },
    { kind: 'file', path: 'etc/ssh/ssh_host_ed25519_key', data: await readFile(join(paths.sshDir, 'guest_host_ed25519_key')), mode: 0o600 },
  ]);
  const path = join(paths.runDir, `${spec.name}.initramfs.cpio`);
  await writeFile(path, Buffer.concat([await readFile(image.initramfsPath), overlay]));
  return path;
}
