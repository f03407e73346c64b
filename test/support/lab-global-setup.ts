import { labAcquire, labRelease } from '../lab/lab';

/**
 * Brings the lab up once for the integration tier, reusing one that already runs.
 *
 * CIVIC_LAB_VMS narrows the VMs (`lab-web,lab-db`); CIVIC_LAB_SKIP=1 skips the lab entirely.
 */
export async function setup(): Promise<void> {
  if (process.env.CIVIC_LAB_SKIP === '1') return;
  const info = await labAcquire({ vms: process.env.CIVIC_LAB_VMS, owner: 'tests', log: (line) => console.log(`lab: ${line}`) });
  console.log(`lab: up in ${info.labDir} (${info.vms.map((vm) => `${vm.name} ${vm.bootSeconds} s`).join(', ')})`);
}

/**
 * Takes the lab down after the tier when this run was its last user, unless CIVIC_LAB_KEEP=1 or the
 * lab was started from the CLI (`npm run lab -- up`), which stays up.
 */
export async function teardown(): Promise<void> {
  if (process.env.CIVIC_LAB_SKIP === '1') return;
  await labRelease({ keep: process.env.CIVIC_LAB_KEEP === '1', log: (line) => console.log(`lab: ${line}`) });
}
