import { randomInt } from 'node:crypto';
import { JsonLineSocket, ReplyTimeoutError, type JsonObject } from './json-line-socket';
import { guestRun, type GuestRun } from '../../main/toolkit/guest-agent';
import { LabError } from './lab-error';

/** An error reply from qemu-ga. */
export class QgaError extends LabError {
  /** Builds the error from the agent's `class` and `desc`. */
  constructor(
    readonly errorClass: string,
    description: string,
  ) {
    super(`qemu-ga ${errorClass}: ${description}`);
    this.name = 'QgaError';
  }
}

/** Output of a command run in the guest. */
export interface GuestExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A toolkit guest run as the lab reports it: text output, and 128 + signal for a killed program. */
export function execResult(run: GuestRun): GuestExecResult {
  return {
    exitCode: run.exitCode ?? 128 + (run.signal ?? 0),
    stdout: run.stdout.toString('utf8'),
    stderr: run.stderr.toString('utf8'),
  };
}

/** A minimal qemu-ga client over the host side of the agent's virtio-serial channel. */
export class QgaClient {
  private constructor(private readonly connection: JsonLineSocket) {}

  /**
   * Connects and synchronises with `guest-sync-delimited`, discarding stale replies.
   *
   * The sync is resent every two seconds until `timeoutMs`, so this also waits for an agent still booting.
   */
  static async connect(path: string, timeoutMs = 10_000): Promise<QgaClient> {
    const connection = await JsonLineSocket.connect(path, Math.min(timeoutMs, 5000));
    try {
      await synchronise(connection, timeoutMs);
      return new QgaClient(connection);
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  /** Runs an agent command and returns its `return` value. */
  async execute(command: string, args?: JsonObject, timeoutMs = 10_000): Promise<unknown> {
    this.connection.send(args ? { execute: command, arguments: args } : { execute: command });
    const message = await this.connection.next(timeoutMs);
    if ('error' in message) {
      const error = message.error as { class?: string; desc?: string };
      throw new QgaError(error.class ?? 'GenericError', error.desc ?? 'unknown error');
    }
    return message.return;
  }

  /**
   * Runs a program in the guest with `guest-exec`, polls `guest-exec-status`, and returns its output.
   */
  async exec(path: string, args: readonly string[] = [], timeoutMs = 30_000): Promise<GuestExecResult> {
    return execResult(await guestRun(this, path, args, timeoutMs));
  }


  /** Closes the connection so the next client can connect. */
  close(): void {
    this.connection.close();
  }
}

/** Connects, runs `work`, and closes the connection on every path. */
export async function withQga<T>(path: string, work: (client: QgaClient) => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const client = await QgaClient.connect(path, timeoutMs);
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

/** Runs a shell command line in the guest through qemu-ga (`/bin/sh -c`). */
export function guestShell(path: string, script: string, timeoutMs = 30_000): Promise<GuestExecResult> {
  return withQga(path, (client) => client.exec('/bin/sh', ['-c', script], timeoutMs));
}

async function synchronise(connection: JsonLineSocket, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const id = randomInt(1, 2 ** 31);
    // 0xFF first makes the agent drop any half-received request before the sync.
    connection.sendRaw(Buffer.from([0xff]));
    connection.send({ execute: 'guest-sync-delimited', arguments: { id } });
    const answerBy = Math.min(deadline, Date.now() + 2000);
    while (Date.now() < answerBy) {
      let message: JsonObject;
      try {
        message = await connection.next(Math.max(1, answerBy - Date.now()));
      } catch (error) {
        if (error instanceof ReplyTimeoutError) break;
        throw error;
      }
      // Replies to earlier syncs (sent while the agent was still starting) are stale: skip them.
      if (message.return === id) return;
    }
  }
  throw new LabError(`qemu-ga did not answer guest-sync-delimited within ${timeoutMs} ms`);
}
