import { join } from 'node:path';
import type { HostEntry, SessionStateEvent } from '../../preload/api';
import { createHostInventory, type HostInventory } from '../hosts/host-inventory';
import { defaultIdentityFiles, resolveRoute } from '../hosts/host-route';
import { createHostStore } from '../hosts/host-store';
import { toHostEntry } from '../hosts/host-types';
import { loadSshConfigHosts } from '../hosts/ssh-config-hosts';
import { createConnectionPool, type ConnectionPool, type ReconnectPolicy } from './connection-pool';
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
  readonly connect?: Pick<SshConnectOptions, 'handshakeTimeoutMs' | 'readyTimeoutMs' | 'keepaliveIntervalMs' | 'keepaliveCountMax'>;
  readonly reconnect?: ReconnectPolicy;
}

/** The SSH side of the app (transport only): hosts, shared connections, commands and sudo. */
export interface SshService {
  readonly hosts: HostInventory;
  readonly pool: ConnectionPool;
  /** The inventory as the contract shows it. */
  listHosts(): Promise<HostEntry[]>;
  connect(hostId: string, signal?: AbortSignal): Promise<SshConnection>;
  run(hostId: string, argv: readonly string[], options?: CommandOptions): Promise<CommandResult>;
  /** As root: directly for root logins, `sudo -n` otherwise (SUDO_PASSWORD_REQUIRED when it wants one). */
  runPrivileged(hostId: string, argv: readonly string[], options?: CommandOptions): Promise<CommandResult>;
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
    disconnect: (hostId) => pool.disconnect(hostId),
    close: () => pool.closeAll(),
  };
}
