import { join } from 'node:path';
import type { HostEntry, SessionStateEvent } from '../../preload/api';
import { createHostInventory, type HostInventory } from '../hosts/host-inventory';
import { defaultIdentityFiles, resolveRoute } from '../hosts/host-route';
import { createHostStore } from '../hosts/host-store';
import { toHostEntry } from '../hosts/host-types';
import { loadSshConfigHosts } from '../hosts/ssh-config-hosts';
import { createConnectionPool, type ConnectionPool, type ReconnectPolicy } from './connection-pool';
import { deployHelper, loadHelperBundle, removeHelper, type DeployReport } from './helper-deploy';
import { helperHello, type HelperHello } from './helper-handshake';
import { createHostKeyVerifier, type ConfirmUnknownHost } from './host-key-verifier';
import { runRemoteCommand, type CommandOptions, type CommandResult } from './remote-command';
import type { SecretPrompt } from './ssh-auth';
import { openSshConnection, type SshConnectOptions, type SshConnection } from './ssh-connect';
import { runPrivileged } from './sudo';

/** Everything the SSH side needs from the app: folders, the user's answers, and where events go. */
export interface SshServiceDeps {
  readonly homeDir: string;
  readonly localUser: string;
  /** The app data folder: `hosts.json` and the app's own `known_hosts` live here. */
  readonly dataDir: string;
  /** `SSH_AUTH_SOCK` of the app's environment; undefined when no agent runs. */
  readonly agentSocket?: string;
  readonly confirmUnknownHost: ConfirmUnknownHost;
  readonly prompt: SecretPrompt;
  readonly onState: (event: SessionStateEvent) => void;
  /** The helper folder shipped with the app and the versions this app speaks. */
  readonly helper: { readonly root: string; readonly version: string; readonly protocolVersion: number };
  readonly connect?: Pick<SshConnectOptions, 'handshakeTimeoutMs' | 'readyTimeoutMs' | 'keepaliveIntervalMs' | 'keepaliveCountMax'>;
  readonly reconnect?: ReconnectPolicy;
}

/** A deploy's counts plus what the deployed helper said about itself. */
export interface HelperDeployment extends DeployReport {
  readonly hello: HelperHello;
}

/** The SSH side of the app: hosts, shared connections, commands, sudo and the helper. */
export interface SshService {
  readonly hosts: HostInventory;
  readonly pool: ConnectionPool;
  /** The inventory as the contract shows it. */
  listHosts(): Promise<HostEntry[]>;
  connect(hostId: string, signal?: AbortSignal): Promise<SshConnection>;
  run(hostId: string, argv: readonly string[], options?: CommandOptions): Promise<CommandResult>;
  /** As root: directly for root logins, `sudo -n` otherwise (SUDO_PASSWORD_REQUIRED when it wants one). */
  runPrivileged(hostId: string, argv: readonly string[], options?: CommandOptions): Promise<CommandResult>;
  /** Uploads what is missing or changed, proves every hash, then checks the helper's hello. */
  deployHelper(hostId: string, signal?: AbortSignal): Promise<HelperDeployment>;
  /** Removes this app's helper folder from the host; returns the removed path. */
  removeHelper(hostId: string, signal?: AbortSignal): Promise<string>;
  disconnect(hostId: string): void;
  close(): void;
}

/** Builds the SSH service from plain dependencies (no Electron), so every test tier can run it. */
export function createSshService(deps: SshServiceDeps): SshService {
  const sshDir = join(deps.homeDir, '.ssh');
  const hosts = createHostInventory({
    readSshConfig: () => loadSshConfigHosts({ homeDir: deps.homeDir, sshDir, localUser: deps.localUser }),
    store: createHostStore(deps.dataDir),
  });
  const verifier = createHostKeyVerifier({
    userKnownHostsFiles: [join(sshDir, 'known_hosts'), join(sshDir, 'known_hosts2')],
    appKnownHostsFile: join(deps.dataDir, 'known_hosts'),
    confirmUnknownHost: deps.confirmUnknownHost,
  });
  const connectOptions: SshConnectOptions = {
    verifier,
    prompt: deps.prompt,
    ...(deps.agentSocket === undefined ? {} : { agentSocket: deps.agentSocket }),
    ...deps.connect,
  };
  const routeDefaults = { localUser: deps.localUser, defaultIdentityFiles: defaultIdentityFiles(sshDir) };

  const pool = createConnectionPool({
    open: async (hostId, signal) => {
      const inventory = await hosts.list();
      const host = await hosts.get(hostId);
      return openSshConnection(resolveRoute(host, inventory, routeDefaults), connectOptions, signal);
    },
    onState: deps.onState,
    ...(deps.reconnect === undefined ? {} : { reconnect: deps.reconnect }),
  });

  return {
    hosts,
    pool,
    listHosts: async () => (await hosts.list()).map(toHostEntry),
    connect: (hostId, signal) => pool.acquire(hostId, signal),
    async run(hostId, argv, options = {}) {
      return runRemoteCommand(await pool.acquire(hostId, options.signal), argv, options);
    },
    async runPrivileged(hostId, argv, options = {}) {
      const host = await hosts.get(hostId);
      return runPrivileged(await pool.acquire(hostId, options.signal), host.user, argv, options);
    },
    async deployHelper(hostId, signal) {
      const connection = await pool.acquire(hostId, signal);
      const bundle = await loadHelperBundle(deps.helper.root, deps.helper.version);
      const report = await deployHelper(connection, bundle, signal);
      const hello = await helperHello(
        connection,
        report.remoteDir,
        { helperVersion: deps.helper.version, protocolVersion: deps.helper.protocolVersion },
        signal,
      );
      return { ...report, hello };
    },
    async removeHelper(hostId, signal) {
      const bundle = await loadHelperBundle(deps.helper.root, deps.helper.version);
      return removeHelper(await pool.acquire(hostId, signal), bundle.folderName, signal);
    },
    disconnect: (hostId) => pool.disconnect(hostId),
    close: () => pool.closeAll(),
  };
}
