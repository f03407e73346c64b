import type { HostNoticeEvent, HostVmList } from '../../../preload/api';
import { toWorkbenchError } from '../../errors';
import type { CliIo } from './cli-io';
import { createCliServices, defaultHostsCliEnvironment, resolveHostId, type HostsCliEnvironment } from './hosts-cli-context';
import { parseOptions } from './hosts-command';
import { describeFailure, formatBytes } from './report-format';

const usage = `usage: civic vms <alias|id> [--accept-new-host-key] [--json]

Connects, deploys the helper, and prints what the host can do and its VMs (helper probe + list).
`;

/** The VM list as a table a person reads: one line per VM, reasons under the ones that cannot be cloned. */
export function formatVmList(list: HostVmList): string {
  const caps = list.capabilities;
  const lines = [
    `QEMU ${caps.qemuVersion ?? 'unknown'}, accelerator ${caps.accelerator ?? 'unknown'}, libvirt ${caps.libvirtVersion ?? (list.libvirt.available ? 'yes' : 'no')}`,
    `Strategies: ${caps.strategies.join(', ') || 'none'}; QMP folders: ${list.qmpDirs.join(', ')}`,
    '',
    `${'NAME'.padEnd(20)} ${'KIND'.padEnd(8)} ${'STATE'.padEnd(10)} ${'MEMORY'.padEnd(10)} ${'QGA'.padEnd(4)} ${'CLONE'.padEnd(6)} ID`,
  ];
  for (const vm of list.vms) {
    lines.push(
      `${(vm.name ?? '-').padEnd(20)} ${vm.kind.padEnd(8)} ${vm.state.padEnd(10)} ${(vm.memoryBytes === null ? '-' : formatBytes(vm.memoryBytes)).padEnd(10)} ${(vm.qgaChannel ? 'yes' : 'no').padEnd(4)} ${(vm.cloneable ? 'yes' : 'no').padEnd(6)} ${vm.id}`,
    );
    // An unreadable VM's one reason is why it could not be read, not a clone refusal.
    if (vm.readError !== undefined) lines.push(`    unreadable: ${vm.readError}`);
    else for (const reason of vm.reasons) lines.push(`    not cloneable: ${reason}`);
  }
  if (list.vms.length === 0) lines.push('(no VMs found)');
  return lines.join('\n') + '\n';
}

/** A notice of what the app did on the host by itself, as stderr lines. */
export function formatHostNotice(notice: HostNoticeEvent): string {
  const lines = [`civic: ${notice.tone === 'warning' ? 'WARN ' : ''}${notice.text}`];
  if (notice.error) lines.push(`  ${notice.error.hint}`);
  return lines.join('\n') + '\n';
}

/** `civic vms <host>`: the helper's probe and VM list on a host. Exit 0, 1 on failure, 2 on usage. */
export async function vmsCommand(args: readonly string[], io: CliIo, environment: HostsCliEnvironment = defaultHostsCliEnvironment()): Promise<number> {
  const parsed = parseOptions(args, [], ['--accept-new-host-key', '--json']);
  if (typeof parsed === 'string' || parsed.positional.length !== 1) {
    io.err(typeof parsed === 'string' ? `civic vms: ${parsed}\n${usage}` : usage);
    return 2;
  }
  const services = createCliServices(environment, io, { acceptNewHostKey: parsed.flags.has('--accept-new-host-key') });
  // Connecting recovers interrupted clones by itself; say so on stderr, so --json output stays one document.
  const detach = services.events.forward((name, payload) => {
    if (name === 'hostNotice') io.err(formatHostNotice(payload as HostNoticeEvent));
  });
  try {
    const hostId = await resolveHostId(services, parsed.positional[0] ?? '');
    const list = await services.hosts.listVms(hostId);
    io.out(parsed.flags.has('--json') ? JSON.stringify(list, null, 2) + '\n' : formatVmList(list));
    return 0;
  } catch (error) {
    io.err(describeFailure(toWorkbenchError(error)));
    return 1;
  } finally {
    detach();
    await services.shutdown();
  }
}
