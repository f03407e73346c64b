import type { VmSummary } from '../../../preload/api';
import { WorkbenchFailure } from '../../errors';

/**
 * The VM `civic collect` was given, as the stable key the capture takes: a listed VM's reference
 * (`qmp:/...` or `libvirt:NAME`), else the one VM with that name. Names end here: the capture
 * service only ever sees keys.
 */
export function resolveVmKey(vms: readonly VmSummary[], given: string, hostName: string): string {
  const byName = vms.filter((candidate) => candidate.name === given);
  const vm = vms.find((candidate) => candidate.id === given) ?? (byName.length === 1 ? byName[0] : undefined);
  if (vm === undefined) {
    const why = byName.length > 1 ? `${byName.length} VMs on ${hostName} are named ${given}` : `${hostName} has no VM ${given}`;
    throw new WorkbenchFailure('NOT_FOUND', `${why}.`, { subject: given, hint: 'List the VMs with `civic vms <host>` and give the reference.' });
  }
  return vm.id;
}
