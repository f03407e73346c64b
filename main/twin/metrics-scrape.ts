import type { SshConnection } from '../ssh/ssh-connect';
import { WorkbenchFailure } from '../errors';

/** The largest scrape kept: node_exporter on a big guest writes a few hundred KiB. */
const MAX_SCRAPE_BYTES = 8 * 1024 * 1024;

/**
 * GETs `path` from 127.0.0.1:`hostPort` on the KVM host (a twin's forward) over one SSH
 * `direct-tcpip` channel, HTTP/1.0 so the server closes when done. Returns the body as text.
 * The body is the guest's: the caller parses it as hostile input.
 */
export async function scrapeThroughSsh(connection: SshConnection, hostPort: number, path: string, timeoutMs = 10_000): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    connection.client.forwardOut('127.0.0.1', 0, '127.0.0.1', hostPort, (error, channel) => {
      if (error) return reject(new WorkbenchFailure('FORWARD_FAILED', `The host refused a channel to its port ${hostPort}: ${error.message}`));
      const chunks: Buffer[] = [];
      let size = 0;
      const timer = setTimeout(() => {
        channel.close();
        reject(new WorkbenchFailure('TWIN_UNRESPONSIVE', `No answer from 127.0.0.1:${hostPort}${path} within ${timeoutMs / 1000} s.`));
      }, timeoutMs);
      channel.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_SCRAPE_BYTES) {
          channel.close();
          return;
        }
        chunks.push(chunk);
      });
      channel.on('error', () => undefined);
      // The server's EOF ends the answer; our side was never ended (see below), so close it then.
      channel.on('end', () => channel.close());
      channel.on('close', () => {
        clearTimeout(timer);
        if (size > MAX_SCRAPE_BYTES) return reject(new WorkbenchFailure('VALIDATION_FAILED', `The answer of 127.0.0.1:${hostPort}${path} is larger than 8 MiB.`));
        const response = Buffer.concat(chunks).toString('utf8');
        const split = response.indexOf('\r\n\r\n');
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(response);
        if (split < 0 || status === null) return reject(new WorkbenchFailure('TWIN_UNRESPONSIVE', `127.0.0.1:${hostPort}${path} gave no HTTP answer (the agent is not up yet, or the forward goes nowhere).`));
        if (status[1] !== '200') return reject(new WorkbenchFailure('EXPERIMENT_FAILED', `127.0.0.1:${hostPort}${path} answered HTTP ${status[1]}.`));
        resolve(response.slice(split + 4));
      });
      // No end(): a half-closed client makes some servers (Go's net/http) drop the request; HTTP/1.0 closes after the answer.
      channel.write(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n`);
    });
  });
}
