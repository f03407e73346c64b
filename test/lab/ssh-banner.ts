import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { LabError } from './lab-error';

/** Reads the first line an SSH server sends on 127.0.0.1:port, or null if it sends none in time. */
export function readSshBanner(port: number, timeoutMs = 3000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    const finish = (value: string | null): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const newline = received.indexOf('\n');
      if (newline >= 0) finish(received.slice(0, newline).trim());
    });
    socket.on('error', () => finish(null));
    socket.on('close', () => finish(null));
  });
}

/**
 * Waits until an SSH server answers with its `SSH-2.0-` banner.
 *
 * A QEMU user-mode forward accepts connections before the guest listens, so a bare connect proves
 * nothing; the banner does.
 */
export async function waitForSshBanner(port: number, timeoutMs: number, isStillRunning: () => Promise<boolean>): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const banner = await readSshBanner(port);
    if (banner?.startsWith('SSH-2.0-')) return banner;
    if (!(await isStillRunning())) throw new LabError(`the SSH server for port ${port} exited`);
    await delay(250);
  }
  throw new LabError(`no SSH banner on 127.0.0.1:${port} within ${timeoutMs} ms`);
}
