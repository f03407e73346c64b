import { join } from 'node:path';
import { WorkbenchFailure } from '../errors';
import type { HostKeyPolicy } from './host-key-policy';
import type { HostTarget } from './host-types';

/** One SSH server on the way to a host: the host itself or a ProxyJump hop. */
export interface SshEndpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Private key files to try; empty means the usual `~/.ssh/id_*` defaults, chosen by the caller. */
  readonly identityFiles: readonly string[];
  /** The host's `~/.ssh/config` options on host keys; absent means OpenSSH's defaults. */
  readonly hostKeys?: HostKeyPolicy;
}

/** How to reach a host: jump hops in order, then the host. */
export interface SshRoute {
  readonly jumps: readonly SshEndpoint[];
  readonly target: SshEndpoint;
}

/** Defaults for endpoints the inventory does not describe (jump hosts typed as `user@host:port`). */
export interface RouteDefaults {
  readonly localUser: string;
  /** Identity files to try when a host names none (OpenSSH's `~/.ssh/id_*`). */
  readonly defaultIdentityFiles: readonly string[];
}

/** OpenSSH's default identity paths under an ssh folder. */
export function defaultIdentityFiles(sshDir: string): string[] {
  return ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk'].map((name) => join(sshDir, name));
}

/** Parses one ProxyJump element: `[user@]host[:port]`, `[user@][v6addr]:port` or `ssh://[user@]host[:port]`. */
export function parseJump(text: string): { user?: string; host: string; port?: number } {
  const stripped = text.startsWith('ssh://') ? text.slice('ssh://'.length) : text;
  const at = stripped.lastIndexOf('@');
  const user = at === -1 ? undefined : stripped.slice(0, at);
  const rest = at === -1 ? stripped : stripped.slice(at + 1);
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  const plain = /^([^:]+)(?::(\d+))?$/.exec(rest);
  const match = bracketed ?? plain;
  if (!match || match[1] === undefined || (user !== undefined && user === '')) {
    throw new WorkbenchFailure('VALIDATION_FAILED', `Not a jump host: ${text}`, { subject: 'proxyJump' });
  }
  return { host: match[1], ...(user === undefined ? {} : { user }), ...(match[2] === undefined ? {} : { port: Number(match[2]) }) };
}

function endpointOf(host: HostTarget, defaults: RouteDefaults): SshEndpoint {
  return {
    host: host.hostName,
    port: host.port,
    user: host.user,
    identityFiles: host.identityFiles.length > 0 ? host.identityFiles : defaults.defaultIdentityFiles,
    ...(host.hostKeys === undefined ? {} : { hostKeys: host.hostKeys }),
  };
}

/**
 * Turns an inventory host into the route to it, following ProxyJump through inventory aliases (and
 * their own ProxyJump) as OpenSSH does.
 */
export function resolveRoute(
  host: HostTarget,
  inventory: readonly HostTarget[],
  defaults: RouteDefaults,
  seen: ReadonlySet<string> = new Set(),
): SshRoute {
  if (seen.has(host.alias) || seen.size > 8) {
    throw new WorkbenchFailure('VALIDATION_FAILED', `ProxyJump of ${host.alias} loops back on itself.`, { subject: host.alias });
  }
  const visited = new Set([...seen, host.alias]);
  const jumps: SshEndpoint[] = [];
  for (const element of (host.proxyJump ?? '').split(',').filter((part) => part !== '' && part.toLowerCase() !== 'none')) {
    const parsed = parseJump(element);
    const known = inventory.find((candidate) => candidate.alias === parsed.host);
    if (known) {
      const inner = resolveRoute(known, inventory, defaults, visited);
      jumps.push(...inner.jumps, {
        ...inner.target,
        ...(parsed.user === undefined ? {} : { user: parsed.user }),
        ...(parsed.port === undefined ? {} : { port: parsed.port }),
      });
    } else {
      jumps.push({
        host: parsed.host,
        port: parsed.port ?? 22,
        user: parsed.user ?? defaults.localUser,
        identityFiles: defaults.defaultIdentityFiles,
      });
    }
  }
  return { jumps, target: endpointOf(host, defaults) };
}
