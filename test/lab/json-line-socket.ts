import { createConnection, type Socket } from 'node:net';
import { LabError } from './lab-error';

/** No reply arrived in time (the connection itself is still usable). */
export class ReplyTimeoutError extends LabError {}

/** A JSON object received from QEMU or qemu-ga. */
export type JsonObject = Record<string, unknown>;

/**
 * A unix-socket connection that exchanges newline-delimited JSON objects.
 *
 * QMP and qemu-ga serve one client at a time, so callers must `close()` on every path.
 */
export class JsonLineSocket {
  private buffer = '';
  private readonly queue: JsonObject[] = [];
  private waiter: ((message: JsonObject | Error) => void) | null = null;
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket, private readonly path: string) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (error) => this.fail(new LabError(`${path}: ${error.message}`)));
    socket.on('close', () => this.fail(new LabError(`${path}: connection closed`)));
  }

  /** Connects to a unix socket; rejects after `timeoutMs`. */
  static connect(path: string, timeoutMs: number): Promise<JsonLineSocket> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ path });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new LabError(`${path}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new JsonLineSocket(socket, path));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new LabError(`${path}: ${error.message}`));
      });
    });
  }

  /** Sends one object as a JSON line. */
  send(message: JsonObject): void {
    if (this.failure) throw this.failure;
    this.socket.write(`${JSON.stringify(message)}\n`);
  }

  /** Sends raw bytes (qemu-ga's sync protocol starts with a 0xFF byte). */
  sendRaw(bytes: Buffer): void {
    if (this.failure) throw this.failure;
    this.socket.write(bytes);
  }

  /** Waits for the next object; rejects after `timeoutMs` or when the connection ends. */
  next(timeoutMs: number): Promise<JsonObject> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new ReplyTimeoutError(`${this.path}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (message) => {
        clearTimeout(timer);
        this.waiter = null;
        if (message instanceof Error) reject(message);
        else resolve(message);
      };
    });
  }

  /** Closes the connection; safe to call more than once. */
  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    // qemu-ga prefixes a guest-sync-delimited reply with 0xFF; it is never part of JSON.
    this.buffer += chunk.replace(/\xff/g, '');
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) this.deliver(line);
      newline = this.buffer.indexOf('\n');
    }
  }

  private deliver(line: string): void {
    let message: JsonObject;
    try {
      message = JSON.parse(Buffer.from(line, 'latin1').toString('utf8')) as JsonObject;
    } catch {
      return;
    }
    if (this.waiter) this.waiter(message);
    else this.queue.push(message);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    if (this.waiter) this.waiter(error);
  }
}
