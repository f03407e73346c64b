import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import SSHConfig, { type Directive } from 'ssh-config';
import { createLogger } from '../logging/logger';
import { isLiteralPattern, matchPattern } from './host-pattern';
import type { HostTarget } from './host-types';
import { hostKeyPolicyFromConfig } from './ssh-config-host-keys';
import type { HostKeyPolicy } from './host-key-policy';

const log = createLogger('hosts');

/** Where the user's SSH files are and who the local user is. */
export interface SshConfigContext {
  readonly homeDir: string;
  /** Usually `<home>/.ssh`; relative Include paths resolve against it. */
  readonly sshDir: string;
  readonly localUser: string;
}

/** OpenSSH refuses deeper Include nesting; so do we (it also stops include loops). */
const maxIncludeDepth = 16;

function expandHome(path: string, context: SshConfigContext): string {
  if (path === '~') return context.homeDir;
  if (path.startsWith('~/')) return join(context.homeDir, path.slice(2));
  return path;
}

/** Expands a glob path (wildcards in any segment) to the files that exist, sorted like glob(3). */
export async function expandGlobPath(path: string): Promise<string[]> {
  const segments = path.split('/');
  let bases = [segments[0] === '' ? '/' : segments[0] ?? ''];
  for (const segment of segments.slice(1)) {
    if (segment === '') continue;
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?]/.test(segment)) {
        next.push(join(base, segment));
        continue;
      }
      let names: string[];
      try {
        names = await readdir(base);
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        if (name.startsWith('.') && !segment.startsWith('.')) continue;
        if (matchPattern(segment, name)) next.push(join(base, name));
      }
    }
    bases = next;
  }
  return bases;
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') return null;
    throw error;
  }
}

function splitWords(value: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|(\S+)/g;
  for (let match = pattern.exec(value); match !== null; match = pattern.exec(value)) words.push(match[1] ?? match[2] ?? '');
  return words;
}

/**
 * Reads a config file with every Include inlined, so one parse sees the whole configuration.
 *
 * An Include inside a Host block is followed by that block's Host line again: what the included
 * file declares cannot leak into the lines after the Include, as in OpenSSH.
 */
export async function readConfigWithIncludes(path: string, context: SshConfigContext, depth = 0): Promise<string> {
  const text = await readOptional(path);
  if (text === null) return '';
  if (depth >= maxIncludeDepth) {
    log.warn(`ssh config Include nesting deeper than ${maxIncludeDepth} at ${path}; ignoring it`);
    return '';
  }
  const out: string[] = [];
  let currentBlock: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(\w+)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    const keyword = match?.[1]?.toLowerCase();
    if (keyword === 'host' || keyword === 'match') currentBlock = line;
    if (keyword !== 'include' || match?.[2] === undefined) {
      out.push(line);
      continue;
    }
    for (const word of splitWords(match[2])) {
      const expanded = expandHome(word, context);
      const absolute = isAbsolute(expanded) ? expanded : join(context.sshDir, expanded);
      for (const file of await expandGlobPath(absolute)) {
        out.push(`# included from ${file}`, await readConfigWithIncludes(file, context, depth + 1));
      }
    }
    if (currentBlock !== null) out.push(currentBlock);
  }
  return out.join('\n');
}

function valueWords(value: Directive['value']): string[] {
  if (typeof value === 'string') return [value];
  return value.map((part) => part.val);
}

function firstString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function expandTokens(path: string, tokens: { host: string; user: string; localUser: string }, context: SshConfigContext): string {
  const replaced = path.replace(/%([%dhru])/g, (_whole, token: string) => {
    switch (token) {
      case 'd':
        return context.homeDir;
      case 'h':
        return tokens.host;
      case 'r':
        return tokens.user;
      case 'u':
        return tokens.localUser;
      default:
        return '%';
    }
  });
  return expandHome(replaced, context);
}

/** The aliases a config declares: every literal Host pattern, in order, without duplicates. */
export function declaredAliases(config: SSHConfig): string[] {
  const aliases: string[] = [];
  for (const line of config) {
    if (line.type !== SSHConfig.DIRECTIVE || line.param.toLowerCase() !== 'host') continue;
    const patterns = valueWords(line.value);
    // A line with a negation only limits wildcard patterns; its literal names are still hosts.
    for (const pattern of patterns) if (isLiteralPattern(pattern) && !aliases.includes(pattern)) aliases.push(pattern);
  }
  return aliases;
}

/** The host-key options as an optional field: absent when the config sets none of them. */
function hostKeysField(policy: HostKeyPolicy): { hostKeys?: HostKeyPolicy } {
  return Object.keys(policy).length === 0 ? {} : { hostKeys: policy };
}

/** Computes one alias's effective settings as OpenSSH would (first value wins), with defaults filled in. */
export function hostFromConfig(config: SSHConfig, alias: string, context: SshConfigContext): HostTarget {
  const computed = config.compute(alias);
  const hostName = firstString(computed['HostName']) ?? alias;
  const user = firstString(computed['User']) ?? context.localUser;
  const portText = firstString(computed['Port']);
  const port = portText !== undefined && /^\d+$/.test(portText) ? Number(portText) : 22;
  const rawIdentities = computed['IdentityFile'];
  const identities = rawIdentities === undefined ? [] : Array.isArray(rawIdentities) ? rawIdentities : [rawIdentities];
  const tokens = { host: hostName, user, localUser: context.localUser };
  const proxyJump = firstString(computed['ProxyJump']);
  return {
    id: `ssh-config:${alias}`,
    alias,
    hostName,
    user,
    port,
    source: 'ssh-config',
    identityFiles: identities.map((path) => expandTokens(path, tokens, context)),
    ...hostKeysField(hostKeyPolicyFromConfig(computed, { alias, hostName, port, user, localUser: context.localUser, homeDir: context.homeDir })),
    ...(proxyJump === undefined || proxyJump.toLowerCase() === 'none' ? {} : { proxyJump }),
  };
}

/**
 * Lists the hosts of `~/.ssh/config` (Includes followed, wildcard-only Host patterns skipped).
 *
 * A missing config is an empty list, not an error.
 */
export async function loadSshConfigHosts(context: SshConfigContext, configPath = join(context.sshDir, 'config')): Promise<HostTarget[]> {
  const text = await readConfigWithIncludes(configPath, context);
  const config = SSHConfig.parse(text);
  return declaredAliases(config).map((alias) => hostFromConfig(config, alias, context));
}
