import { labDown, labStatus, labUp } from './lab';
import { LabError } from './lab-error';

const USAGE = `usage: lab up [--vms lab-web,lab-db,lab-ssh] [--fake-version PACKAGE=VERSION]
       lab down
       lab status
Lab folder: env CIVIC_LAB_DIR or .lab/; build cache: .cache/lab/.`;

/** Entry point of `npm run lab -- up|down|status`. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const log = (line: string): void => console.log(`lab: ${line}`);
  switch (command) {
    case 'up': {
      const vms = option(rest, '--vms');
      const fake = option(rest, '--fake-version');
      const versionOverrides: Record<string, string> = {};
      if (fake) {
        const [name, version] = fake.split('=');
        if (!name || !version) throw new LabError('--fake-version wants PACKAGE=VERSION');
        versionOverrides[name] = version;
      }
      const info = await labUp({ vms, versionOverrides, log });
      console.log(`image ${info.cacheKey}: ${info.imageReused ? 'reused' : 'built'} (build time ${info.imageBuildSeconds} s)`);
      for (const vm of info.vms) {
        console.log(`${vm.name}: boot ${vm.bootSeconds} s, QEMU RSS ${(vm.rssBytes / 2 ** 20).toFixed(0)} MiB, pid ${vm.pid}`);
      }
      console.log(sshCommand(info));
      return 0;
    }
    case 'down': {
      const stopped = await labDown({ log });
      console.log(`lab down: stopped ${stopped.length} process(es), runtime files removed`);
      return 0;
    }
    case 'status': {
      const report = await labStatus();
      console.log(`lab folder: ${report.labDir}`);
      console.log(`cache key (current packages): ${report.currentCacheKey}`);
      if (!report.info) {
        console.log(report.processes.length > 0 ? 'lab is partly up (run `lab down`)' : 'lab is down');
      } else {
        console.log(`cache key (running image): ${report.info.cacheKey}`);
        console.log(sshCommand(report.info));
        const config = report.info.ssh.sshConfigPath;
        console.log(`jump host: 127.0.0.1:${report.info.jumpHost.port}; through it: ssh -F ${config} civic-lab-via-jump`);
        if (report.info.guestSsh) console.log(`lab-ssh guest: 127.0.0.1:${report.info.guestSsh.port}; ssh -F ${config} civic-lab-guest`);
      }
      for (const vm of report.vms) {
        const detail = report.info?.vms.find((entry) => entry.name === vm.name);
        const ports = detail?.forwardedPorts.map((forward) => `${forward.hostPort}->${forward.guestPort}`).join(' ') ?? '';
        console.log(`vm ${vm.name} (${vm.kind}): ${vm.state}, pid ${vm.pid}${ports ? `, forwards ${ports}` : ''}`);
        if (detail?.guestAddress) console.log(`  guest address ${detail.guestAddress}`);
        if (detail?.qmpSocketPath) console.log(`  qmp ${detail.qmpSocketPath}`);
        if (detail?.qgaSocketPath) console.log(`  qga ${detail.qgaSocketPath}`);
      }
      for (const process of report.processes) {
        console.log(`process ${process.role}: pid ${process.pid} ${process.alive ? 'running' : 'gone'}`);
      }
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

function option(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index >= 0) return args[index + 1];
  return args.find((arg) => arg.startsWith(`${name}=`))?.slice(name.length + 1);
}

function sshCommand(info: { readonly ssh: { readonly port: number; readonly privateKeyPath: string; readonly knownHostsPath: string } }): string {
  return `ssh -p ${info.ssh.port} -i ${info.ssh.privateKeyPath} -o UserKnownHostsFile=${info.ssh.knownHostsPath} -o StrictHostKeyChecking=yes root@127.0.0.1`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`lab: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
