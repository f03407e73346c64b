/**
 * `StrictHostKeyChecking` as the app applies it (docs/host-keys.md):
 * `yes` refuses unknown keys without asking, `ask` asks, `accept-new` / `no` / `off` record a new key
 * without asking. A changed or revoked key is refused under every value (stricter than OpenSSH's
 * `no`/`off`).
 */
export type StrictHostKeyChecking = 'yes' | 'ask' | 'accept-new' | 'no' | 'off';

/** The `~/.ssh/config` options of one host that bear on its host key, already expanded. */
export interface HostKeyPolicy {
  /** `UserKnownHostsFile`, `~` and `%` tokens expanded; absent means OpenSSH's default pair. */
  readonly userKnownHostsFiles?: readonly string[];
  /** `GlobalKnownHostsFile`; absent means `/etc/ssh/ssh_known_hosts` and `ssh_known_hosts2`. */
  readonly globalKnownHostsFiles?: readonly string[];
  /** `HostKeyAlias`: the name looked up instead of `host`/`[host]:port`. */
  readonly hostKeyAlias?: string;
  readonly strictHostKeyChecking?: StrictHostKeyChecking;
  /** `CheckHostIP` (OpenSSH's default is no). */
  readonly checkHostIp?: boolean;
  /** Set when the config names something OpenSSH would refuse to run with (e.g. an unknown `%` token). */
  readonly configError?: string;
}

/** OpenSSH's system-wide known_hosts files. */
export const defaultGlobalKnownHostsFiles: readonly string[] = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

/** Parses a `StrictHostKeyChecking` value as readconf.c does (`true`/`false` are yes/no); undefined if not one. */
export function parseStrictHostKeyChecking(value: string): StrictHostKeyChecking | undefined {
  switch (value.toLowerCase()) {
    case 'yes':
    case 'true':
      return 'yes';
    case 'no':
    case 'false':
      return 'no';
    case 'ask':
      return 'ask';
    case 'accept-new':
      return 'accept-new';
    case 'off':
      return 'off';
    default:
      return undefined;
  }
}
