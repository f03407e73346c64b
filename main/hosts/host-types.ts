import type { HostEntry } from '../../preload/api';
import type { HostKeyPolicy } from './host-key-policy';

/** A host with what connecting needs beyond the shape the UI shows. */
export interface HostTarget extends HostEntry {
  /** Private key files to try, already expanded (`~`, `%d`, `%h`, `%r`, `%u`). */
  readonly identityFiles: readonly string[];
  /** The raw ProxyJump value (`[user@]host[:port]` or aliases, comma separated); absent or `none` for direct. */
  readonly proxyJump?: string;
  /** The `~/.ssh/config` options on host keys (UserKnownHostsFile, HostKeyAlias, ...); absent for app hosts. */
  readonly hostKeys?: HostKeyPolicy;
}

/** The fields a user types to add or edit a host in the app. */
export interface HostInput {
  readonly alias: string;
  readonly hostName: string;
  readonly user: string;
  readonly port: number;
  readonly identityFiles?: readonly string[];
  readonly proxyJump?: string;
}

/** The part of a HostTarget the UI sees: exactly the contract's HostEntry. */
export function toHostEntry(target: HostTarget): HostEntry {
  return { id: target.id, alias: target.alias, hostName: target.hostName, user: target.user, port: target.port, source: target.source };
}
