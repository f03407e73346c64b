import { createHash } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseStrictHostKeyChecking, type HostKeyPolicy } from './host-key-policy';
import { asciiLower } from './host-pattern';

/** The connection facts OpenSSH's `%` tokens stand for. */
export interface HostKeyTokens {
  /** `%n`: the host as the user named it (the alias). */
  readonly alias: string;
  /** `%h`: the HostName. */
  readonly hostName: string;
  readonly port: number;
  /** `%r`: the remote user. */
  readonly user: string;
  /** `%u`: the local user. */
  readonly localUser: string;
  /** `%d`: the local home folder. */
  readonly homeDir: string;
  /** `%k`: HostKeyAlias when set. */
  readonly hostKeyAlias?: string;
}

/** One option of a computed config, whatever case the user wrote its keyword in (first one wins). */
function optionOf(computed: Record<string, string | string[]>, keyword: string): string[] | undefined {
  const key = Object.keys(computed).find((candidate) => candidate.toLowerCase() === keyword.toLowerCase());
  if (key === undefined) return undefined;
  const value = computed[key];
  return value === undefined ? undefined : Array.isArray(value) ? value : [value];
}

/**
 * Expands `~` and the `%` tokens OpenSSH allows in UserKnownHostsFile (ssh.c: tilde first, then
 * `%C %d %h %i %k %L %l %n %p %r %u %%` and `${VAR}`); throws on a token OpenSSH does not know.
 */
export function expandKnownHostsPath(path: string, tokens: HostKeyTokens, env: NodeJS.ProcessEnv = process.env): string {
  const home = tokens.homeDir;
  const tilde = path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
  const localHost = hostname();
  const values: Record<string, string> = {
    '%': '%',
    d: home,
    h: asciiLower(tokens.hostName),
    i: String(userInfo().uid),
    k: tokens.hostKeyAlias === undefined ? tokens.alias : asciiLower(tokens.hostKeyAlias),
    L: localHost.split('.')[0] ?? localHost,
    l: localHost,
    n: tokens.alias,
    p: String(tokens.port),
    r: tokens.user,
    u: tokens.localUser,
  };
  values['C'] = createHash('sha1').update(`${values['l']}${tokens.hostName}${tokens.port}${tokens.user}`).digest('hex');
  return tilde
    .replace(/%(.?)/g, (_whole, token: string) => {
      const value = values[token];
      if (value === undefined) throw new Error(`UserKnownHostsFile ${path} uses %${token}, which OpenSSH does not expand`);
      return value;
    })
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_whole, name: string) => {
      const value = env[name];
      if (value === undefined) throw new Error(`UserKnownHostsFile ${path} names \${${name}}, which is not set`);
      return value;
    });
}

function yesNo(words: string[] | undefined): boolean | undefined {
  const word = words?.[0]?.toLowerCase();
  if (word === 'yes' || word === 'true') return true;
  if (word === 'no' || word === 'false') return false;
  return undefined;
}

/**
 * The host-key options of one host's computed `~/.ssh/config` settings, expanded as OpenSSH does.
 *
 * `none` as a file list means no files. A value OpenSSH would refuse (an unknown `%` token, a
 * StrictHostKeyChecking it does not know) becomes `configError`, so the connect refuses the key
 * rather than checking it against fewer files than OpenSSH would.
 */
export function hostKeyPolicyFromConfig(computed: Record<string, string | string[]>, tokens: Omit<HostKeyTokens, 'hostKeyAlias'>): HostKeyPolicy {
  const alias = optionOf(computed, 'HostKeyAlias')?.[0];
  const withAlias: HostKeyTokens = { ...tokens, ...(alias === undefined ? {} : { hostKeyAlias: alias }) };
  const errors: string[] = [];
  const files = (words: string[] | undefined, expand: boolean): string[] | undefined => {
    if (words === undefined) return undefined;
    if (words.length === 1 && words[0]?.toLowerCase() === 'none') return [];
    return words.map((word) => {
      if (!expand) return word;
      try {
        return expandKnownHostsPath(word, withAlias);
      } catch (error) {
        errors.push((error as Error).message);
        return word;
      }
    });
  };
  const user = files(optionOf(computed, 'UserKnownHostsFile'), true);
  // OpenSSH uses GlobalKnownHostsFile paths as written: no `~`, no `%` tokens (`ssh -G` shows them raw).
  const global = files(optionOf(computed, 'GlobalKnownHostsFile'), false);
  const strictWord = optionOf(computed, 'StrictHostKeyChecking')?.[0];
  const strict = strictWord === undefined ? undefined : parseStrictHostKeyChecking(strictWord);
  if (strictWord !== undefined && strict === undefined) errors.push(`StrictHostKeyChecking ${strictWord} is not a value OpenSSH knows`);
  const checkHostIp = yesNo(optionOf(computed, 'CheckHostIP'));
  // Options that add trust or revocations the app cannot evaluate: refusing is the safe reading.
  for (const keyword of ['KnownHostsCommand', 'RevokedHostKeys']) {
    const value = optionOf(computed, keyword)?.[0];
    if (value !== undefined && value.toLowerCase() !== 'none') errors.push(`${keyword} is set, and the app does not support it`);
  }
  return {
    ...(user === undefined ? {} : { userKnownHostsFiles: user }),
    ...(global === undefined ? {} : { globalKnownHostsFiles: global }),
    ...(alias === undefined ? {} : { hostKeyAlias: alias }),
    ...(strict === undefined ? {} : { strictHostKeyChecking: strict }),
    ...(checkHostIp === undefined ? {} : { checkHostIp }),
    ...(errors.length === 0 ? {} : { configError: errors.join('; ') }),
  };
}
