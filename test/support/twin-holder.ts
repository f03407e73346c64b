// A stand-in for the desktop app in lease tests: the app's own services in one Node process, which
// connects to a host, starts a twin of a VM (renewing its lease while it runs) and prints the twin's
// id; the test then kills it with SIGKILL. Usage: node --import tsx test/support/twin-holder.ts CONFIG_JSON
// (one process: the `tsx` command runs the script in a child, which a SIGKILL of the parent misses).
import { resolve } from 'node:path';
import { createWorkbenchServices } from '../../main/services';

interface HolderConfig {
  readonly home: string;
  readonly host: { readonly hostName: string; readonly port: number; readonly identityFile: string; readonly qmpDir: string };
  readonly vmName: string;
  readonly ttlSeconds: number;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as HolderConfig;
  const services = createWorkbenchServices({ appDataDir: resolve(config.home, 'app-data'), resourcesDir: resolve('resources'), transport: 'web', homeDir: config.home, hosts: { localUser: 'analyst' } });
  const host = await services.hosts.add({ alias: 'lab', hostName: config.host.hostName, port: config.host.port, user: 'root', identityFile: config.host.identityFile, proxyJump: '', qmpDirs: [config.host.qmpDir] });
  await services.hosts.connect(host.id);
  const vm = (await services.hosts.listVms(host.id)).vms.find((candidate) => candidate.name === config.vmName);
  if (vm === undefined) throw new Error(`${config.vmName} is not listed`);
  const { jobId } = await services.twins.start({ hostId: host.id, vmId: vm.id, ttlSeconds: config.ttlSeconds, guestPorts: [] });
  const twin = await services.twins.started(jobId);
  process.stdout.write(`${JSON.stringify({ twinId: twin.twinId, expiresAt: twin.expiresAt })}\n`);
  // Renewing goes on in the twin service's timer until this process dies.
  setInterval(() => undefined, 60_000);
}

main().catch((error: unknown) => {
  process.stderr.write(`twin-holder: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
