import { existsSync } from 'node:fs';
import { installPaths } from '../app/install-paths';
import { defaultAppDataDir } from '../storage/app-paths';
import { createWorkbenchServices } from '../services';
import { startWebServer } from '../web/web-server';
import type { CliIo } from './commands/cli-io';

const usage = 'usage: civic serve [--port N] [CAPTURE]\n';

/**
 * `civic serve`: the web mode, the same renderer and services in a browser on 127.0.0.1.
 *
 * Runs until interrupted; prints the URL (with its one-time token) to open. The token buys one
 * browser a session; Enter on a terminal prints a fresh one-time URL for another browser.
 */
export async function serveCommand(args: readonly string[], io: CliIo, until: Promise<void> = waitForSignal()): Promise<number> {
  let port = 0;
  let launchCapturePath: string | null = null;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index];
    if (arg !== undefined && !arg.startsWith('-') && launchCapturePath === null) {
      launchCapturePath = arg;
    } else if (arg === '--port') {
      port = Number(args[index + 1]);
      index += 1;
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        io.err(usage);
        return 2;
      }
    } else {
      io.err(usage);
      return 2;
    }
  }
  const { resourcesDir, rendererDir } = installPaths();
  if (!existsSync(rendererDir)) {
    io.err('civic serve: the renderer is not built. Run `npm run build` first.\n');
    return 2;
  }
  const services = createWorkbenchServices({ appDataDir: defaultAppDataDir(), resourcesDir, transport: 'web', launchCapturePath });
  const server = await startWebServer({ services, staticDir: rendererDir, port });
  io.out(`Civic Workbench is serving on ${server.origin}\nOpen this URL (it carries a one-time token, dead once used):\n  ${server.url}\n`);
  const stopNewUrls = process.stdin.isTTY ? printNewUrlOnEnter(io, () => server.newSignInUrl()) : () => undefined;
  io.out(process.stdin.isTTY ? 'Press Enter for a new one-time URL (another browser); Ctrl+C stops.\n' : '');
  await until;
  stopNewUrls();
  await services.shutdown();
  await server.close();
  return 0;
}

function printNewUrlOnEnter(io: CliIo, newUrl: () => string): () => void {
  const onData = (): void => io.out(`New one-time URL:\n  ${newUrl()}\n`);
  process.stdin.on('data', onData);
  return () => {
    process.stdin.removeListener('data', onData);
    process.stdin.pause();
  };
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
