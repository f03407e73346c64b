import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { ToolkitError } from './toolkit-error';

/** The qemu-ga commands the toolkit needs. The lab's QgaClient fits; so does any agent transport. */
export interface GuestAgent {
  execute(command: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<unknown>;
}

/** How a guest program ended and what it printed (bytes as they came, capped by qemu-ga at 16 MiB). */
export interface GuestRun {
  readonly exitCode: number | null;
  readonly signal: number | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

/** Largest chunk sent in one guest-file-write or asked for in one guest-file-read. */
export const GUEST_FILE_CHUNK_BYTES = 4 * 1024 * 1024;

/** Runs a program in the guest by absolute path with `guest-exec`, polling until it ends or `timeoutMs` passes. */
export async function guestRun(agent: GuestAgent, path: string, args: readonly string[], timeoutMs = 60_000): Promise<GuestRun> {
  const started = (await agent.execute('guest-exec', { path, arg: [...args], 'capture-output': true })) as { pid: number };
  const deadline = Date.now() + timeoutMs;
  // qemu-ga has no completion event: poll, quickly at first since most steps take well under a second.
  let pause = 20;
  for (;;) {
    const status = (await agent.execute('guest-exec-status', { pid: started.pid })) as {
      exited: boolean;
      exitcode?: number;
      signal?: number;
      'out-data'?: string;
      'err-data'?: string;
    };
    if (status.exited) {
      return {
        exitCode: status.exitcode ?? null,
        signal: status.signal ?? null,
        stdout: Buffer.from(status['out-data'] ?? '', 'base64'),
        stderr: Buffer.from(status['err-data'] ?? '', 'base64'),
      };
    }
    if (Date.now() > deadline) {
      throw new ToolkitError(`guest program ${path} still running after ${timeoutMs} ms`, 'the guest may be overloaded; it keeps running there');
    }
    await delay(pause);
    pause = Math.min(pause * 2, 250);
  }
}

/** Runs a guest program and throws unless it exits 0; returns its output. */
export async function guestRunChecked(agent: GuestAgent, path: string, args: readonly string[], timeoutMs = 60_000): Promise<GuestRun> {
  const run = await guestRun(agent, path, args, timeoutMs);
  if (run.exitCode !== 0) {
    const how = run.signal !== null ? `signal ${run.signal}` : `exit code ${run.exitCode}`;
    throw new ToolkitError(`${path} ${args.join(' ')} failed in the guest with ${how}`, run.stderr.toString('utf8').trim().slice(-2000));
  }
  return run;
}

/** Writes bytes to a guest file (created or truncated, mode from the agent's umask) in chunks. */
export async function guestWriteFile(agent: GuestAgent, path: string, bytes: Uint8Array, chunkBytes = GUEST_FILE_CHUNK_BYTES): Promise<void> {
  const handle = (await agent.execute('guest-file-open', { path, mode: 'w' })) as number;
  try {
    for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
      const chunk = bytes.subarray(offset, Math.min(offset + chunkBytes, bytes.length));
      const written = (await agent.execute('guest-file-write', { handle, 'buf-b64': Buffer.from(chunk).toString('base64') }, 120_000)) as {
        count: number;
      };
      if (written.count !== chunk.length) {
        throw new ToolkitError(`short write to ${path} in the guest: ${written.count} of ${chunk.length} bytes`, 'is the guest file system full?');
      }
    }
  } finally {
    await agent.execute('guest-file-close', { handle });
  }
}

/** Reads a whole guest file in chunks; refuses files larger than `maxBytes`. */
export async function guestReadFile(agent: GuestAgent, path: string, maxBytes = 1024 * 1024 * 1024): Promise<Buffer> {
  const handle = (await agent.execute('guest-file-open', { path, mode: 'r' })) as number;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      const read = (await agent.execute('guest-file-read', { handle, count: GUEST_FILE_CHUNK_BYTES }, 120_000)) as {
        count: number;
        'buf-b64': string;
        eof: boolean;
      };
      const chunk = Buffer.from(read['buf-b64'], 'base64');
      total += chunk.length;
      if (total > maxBytes) throw new ToolkitError(`guest file ${path} is larger than ${maxBytes} bytes`);
      chunks.push(chunk);
      if (read.eof || read.count === 0) break;
    }
  } finally {
    await agent.execute('guest-file-close', { handle });
  }
  return Buffer.concat(chunks);
}

/** Lower-case hex SHA-256 of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
