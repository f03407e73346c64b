import type { HostForm } from '../../../preload/api';
import { toWorkbenchError } from '../../errors';
import type { CliIo } from './cli-io';
import { createCliServices, defaultHostsCliEnvironment, resolveHostId, type HostsCliEnvironment } from './hosts-cli-context';
import { describeFailure } from './report-format';

const usage = `usage: civic hosts <list|add|remove|test> ...

  civic hosts list
  civic hosts add <alias> <user@host[:port]> [--identity FILE] [--proxy-jump JUMP] [--qmp-dir DIR]...
  civic hosts remove <alias|id>
  civic hosts test <alias|id> [--accept-new-host-key]

An unknown host key is refused (HOST_KEY_UNKNOWN, with its fingerprint) unless --accept-new-host-key is given.
`;

/** `user@host[:port]` as typed; the inventory validates each part. */
function parseTarget(text: string): { user: string; hostName: string; port: number } | null {
  const match = /^([^@\s]+)@([^:\s]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match?.[1] || !match[2]) return null;
  return { user: match[1], hostName: match[2], port: match[3] === undefined ? 22 : Number(match[3]) };
}

/** Splits `--flag value` options from positional words; `flags` take no value. */
export function parseOptions(
  args: readonly string[],
  valued: readonly string[],
  flags: readonly string[],
): { positional: string[]; values: Map<string, string[]>; flags: Set<string> } | string {
  const positional: string[] = [];
  const values = new Map<string, string[]>();
  const seen = new Set<string>();
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    if (flags.includes(arg)) seen.add(arg);
    else if (valued.includes(arg)) {
      const value = args[index + 1];
      if (value === undefined) return `${arg} needs a value`;
      values.set(arg, [...(values.get(arg) ?? []), value]);
      index += 1;
    } else if (arg.startsWith('--')) return `unknown option ${arg}`;
    else positional.push(arg);
  }
  return { positional, values, flags: seen };
}

/**
 * `civic hosts list|add|remove|test`: the host inventory and a connection check, through the same
 * services the app uses. Exit 0 on success, 1 on a failure (code, message and hint printed), 2 on usage.
 */
export async function hostsCommand(args: readonly string[], io: CliIo, environment: HostsCliEnvironment = defaultHostsCliEnvironment()): Promise<number> {
  const [action, ...rest] = args;
  const parsed = parseOptions(rest, ['--identity', '--proxy-jump', '--qmp-dir'], ['--accept-new-host-key']);
  if (action === undefined || action === '--help' || typeof parsed === 'string') {
    io.err(typeof parsed === 'string' ? `civic hosts: ${parsed}\n${usage}` : usage);
    return action === '--help' ? 0 : 2;
  }
  const services = createCliServices(environment, io, { acceptNewHostKey: parsed.flags.has('--accept-new-host-key') });
  try {
    switch (action) {
      case 'list': {
        const hosts = await services.hosts.list();
        if (hosts.length === 0) io.out('No hosts. Add one with `civic hosts add`, or define it in ~/.ssh/config.\n');
        for (const host of hosts) {
          io.out(`${host.alias.padEnd(20)} ${`${host.user}@${host.hostName}:${host.port}`.padEnd(36)} ${host.source.padEnd(10)} ${host.id}\n`);
        }
        return 0;
      }
      case 'add': {
        const [alias, targetText] = parsed.positional;
        const target = targetText === undefined ? null : parseTarget(targetText);
        if (alias === undefined || target === null || parsed.positional.length !== 2) {
          io.err(usage);
          return 2;
        }
        const form: HostForm = {
          alias,
          ...target,
          identityFile: parsed.values.get('--identity')?.[0] ?? '',
          proxyJump: parsed.values.get('--proxy-jump')?.[0] ?? '',
          qmpDirs: parsed.values.get('--qmp-dir') ?? [],
        };
        const host = await services.hosts.add(form);
        io.out(`Added ${host.alias} (${host.user}@${host.hostName}:${host.port}) as ${host.id}\n`);
        return 0;
      }
      case 'remove':
      case 'test': {
        const [name] = parsed.positional;
        if (name === undefined || parsed.positional.length !== 1) {
          io.err(usage);
          return 2;
        }
        const hostId = await resolveHostId(services, name);
        if (action === 'remove') {
          await services.hosts.remove(hostId);
          io.out(`Removed ${name}\n`);
          return 0;
        }
        const report = await services.hosts.test(hostId);
        io.out(`Connected to ${name}; helper ${report.helperVersion} (protocol ${report.protocolVersion}); root through ${report.privilege}.\n`);
        return 0;
      }
      default:
        io.err(`civic hosts: unknown action "${action}"\n${usage}`);
        return 2;
    }
  } catch (error) {
    io.err(describeFailure(toWorkbenchError(error)));
    return 1;
  } finally {
    await services.shutdown();
  }
}
