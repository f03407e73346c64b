import { buildToolkit, type ToolkitBuild } from '../../main/toolkit/build-toolkit';
import type { GuestAgent } from '../../main/toolkit/guest-agent';
import { QgaClient } from '../lab/qga-client';

export { buildToolkit, type ToolkitBuild };
export { injectToolkit, removeToolkit, runCollector, type InjectedToolkit } from '../../main/toolkit/inject-toolkit';
export { guestReadFile, guestRun, guestRunChecked, guestWriteFile, type GuestAgent, type GuestRun } from '../../main/toolkit/guest-agent';

let cached: Promise<ToolkitBuild> | null = null;

/** Builds the toolkit once per test process (a cache hit after the first build on this machine). */
export function testToolkit(): Promise<ToolkitBuild> {
  cached ??= buildToolkit();
  return cached;
}

/**
 * Connects to a guest agent socket, runs `work` with it as a {@link GuestAgent}, and closes it on every path.
 *
 * qemu-ga serves one client at a time and other test files may hold it for a moment: wait up to a minute.
 */
export async function withGuestAgent<T>(socketPath: string, work: (agent: GuestAgent) => Promise<T>): Promise<T> {
  const client = await QgaClient.connect(socketPath, 60_000);
  try {
    return await work({ execute: (command, args, timeoutMs) => client.execute(command, args, timeoutMs ?? 30_000) });
  } finally {
    client.close();
  }
}
