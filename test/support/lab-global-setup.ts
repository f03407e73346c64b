import { labDown, labUp, readLabInfo } from './lab';

let startedHere = false;

/**
 * Brings the lab up once for the integration tier, reusing one that already runs.
 *
 * CIVIC_LAB_VMS narrows the VMs (`lab-web,lab-db`); CIVIC_LAB_SKIP=1 skips the lab entirely.
 */
export async function setup(): Promise<void> {
  if (process.env.CIVIC_LAB_SKIP === '1') return;
  const before = await readLabInfo().catch(() => null);
  const info = await labUp({ vms: process.env.CIVIC_LAB_VMS, log: (line) => console.log(`lab: ${line}`) });
  // A reused lab keeps its start time; a new one belongs to this run.
  startedHere = before?.startedAt !== info.startedAt;
  console.log(`lab: up in ${info.labDir} (${info.vms.map((vm) => `${vm.name} ${vm.bootSeconds} s`).join(', ')})`);
}

/**
 * Takes the lab down after the tier, unless CIVIC_LAB_KEEP=1 or someone else had it running before.
 */
export async function teardown(): Promise<void> {
  if (process.env.CIVIC_LAB_SKIP === '1' || process.env.CIVIC_LAB_KEEP === '1' || !startedHere) return;
  await labDown({ log: (line) => console.log(`lab: ${line}`) });
}
