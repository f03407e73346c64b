import { spawn } from 'node:child_process';
import { ensureImage } from '../lab/image-build';
import { ensureLibvirtd } from '../lab/libvirt-vm';
import { REPOSITORY_ROOT, resolveLabPaths } from '../lab/lab-paths';
import { stopProcess, type LabProcess } from '../lab/process-tools';

// `npm run test:helper`: the host helper's unittest suite, with the real parts its end-to-end tests
// need made ready first (the lab's guest image, a running libvirtd), so they run instead of skipping
// on a fresh machine. Daemons this script started are stopped again afterwards.

const log = (line: string): void => console.log(`test:helper: ${line}`);

function runUnittest(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-m', 'unittest', 'discover', '-s', 'resources/helper', '-p', 'test_*.py'], {
      cwd: REPOSITORY_ROOT,
      stdio: 'inherit',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<number> {
  const image = await ensureImage({ cacheRoot: resolveLabPaths().cacheRoot, log });
  log(`guest image ${image.cacheKey} ready`);
  const started: LabProcess[] = [];
  try {
    await ensureLibvirtd(log, async (daemon) => {
      started.push(daemon);
    });
  } catch (error) {
    log(`libvirtd could not be started, its tests will say so and skip: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return await runUnittest();
  } finally {
    for (const daemon of [...started].reverse()) await stopProcess(daemon);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`test:helper failed to start: ${error instanceof Error ? error.stack : String(error)}`);
    process.exitCode = 1;
  },
);
