import { JsonLineSocket, type JsonObject } from './json-line-socket';
import { LabError } from './lab-error';

/** A QMP error reply. */
export class QmpError extends LabError {
  /** Builds the error from QMP's `class` and `desc`. */
  constructor(
    readonly errorClass: string,
    description: string,
  ) {
    super(`QMP ${errorClass}: ${description}`);
    this.name = 'QmpError';
  }
}

/** A minimal QMP client: greeting, capabilities negotiation, commands; events are kept in order. */
export class QmpClient {
  /** Asynchronous events received so far, oldest first. */
  readonly events: JsonObject[] = [];

  private constructor(private readonly connection: JsonLineSocket) {}

  /** Connects, reads the greeting and leaves capabilities negotiation mode. */
  static async connect(path: string, timeoutMs = 5000): Promise<QmpClient> {
    const connection = await JsonLineSocket.connect(path, timeoutMs);
    try {
      const greeting = await connection.next(timeoutMs);
      if (!('QMP' in greeting)) throw new LabError(`${path}: not a QMP greeting`);
      const client = new QmpClient(connection);
      await client.execute('qmp_capabilities', undefined, timeoutMs);
      return client;
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  /** Runs a command and returns its `return` value; events arriving meanwhile go to `events`. */
  async execute(command: string, args?: JsonObject, timeoutMs = 10_000): Promise<unknown> {
    this.connection.send(args ? { execute: command, arguments: args } : { execute: command });
    for (;;) {
      const message = await this.connection.next(timeoutMs);
      if ('event' in message) {
        this.events.push(message);
        continue;
      }
      if ('error' in message) {
        const error = message.error as { class?: string; desc?: string };
        throw new QmpError(error.class ?? 'GenericError', error.desc ?? 'unknown error');
      }
      if ('return' in message) return message.return;
    }
  }

  /** Closes the connection so the next client can connect. */
  close(): void {
    this.connection.close();
  }
}

/** Connects, runs `work`, and closes the connection on every path. */
export async function withQmp<T>(path: string, work: (client: QmpClient) => Promise<T>, timeoutMs = 5000): Promise<T> {
  const client = await QmpClient.connect(path, timeoutMs);
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

/** Reads the VM run state (`running`, `paused`, ...) through QMP `query-status`. */
export async function queryVmStatus(qmpSocketPath: string): Promise<string> {
  return withQmp(qmpSocketPath, async (client) => {
    const status = (await client.execute('query-status')) as { status?: string };
    return status.status ?? 'unknown';
  });
}
