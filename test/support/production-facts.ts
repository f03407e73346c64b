import { queryVmStatus, runInGuest, type LabVmInfo } from './lab';

/** What an experiment on a twin must leave unchanged on production: a file's hash, its processes, its QMP status. */
export interface ProductionFacts {
  readonly configSha256: string;
  readonly processes: string;
  readonly status: string;
}

/**
 * Reads them through the lab's own guest agent and QMP socket (never through the app under test).
 * Processes are user processes by PID, PPID and name: kernel workers come and go, and the probe's own
 * shell and its children are left out.
 */
export async function productionFacts(vm: LabVmInfo, configPath = '/etc/civic-web.conf'): Promise<ProductionFacts> {
  const config = await runInGuest(vm, `sha256sum ${configPath}`);
  const processes = await runInGuest(vm, "ps -o pid,ppid,comm | awk -v me=$$ '$1 != me && $2 != me && $1 != 2 && $2 != 2'");
  return { configSha256: config.stdout.split(' ')[0] ?? '', processes: processes.stdout, status: await queryVmStatus(vm.qmpSocketPath ?? '') };
}
