import { createReadStream } from 'node:fs';
import { createLogger } from '../logging/logger';
import { hostFieldMatchesAny, readKnownHostKey, splitKnownHostLine, type KnownHostEntry } from './known-hosts';

const log = createLogger('ssh');

/** Calls `onLine` for each `\n`-terminated line of a file (the last one may lack it), streaming. */
async function forEachLine(file: string, onLine: (line: string, number: number) => void): Promise<void> {
  // latin1 keeps every byte as one character, so a BOM or a UTF-8 no-break space stays what
  // OpenSSH sees: bytes that are not field separators.
  const stream = createReadStream(file, { encoding: 'latin1', highWaterMark: 256 * 1024 });
  let carry = '';
  let number = 0;
  for await (const chunk of stream as AsyncIterable<string>) {
    let end = chunk.indexOf('\n');
    if (end === -1) {
      carry += chunk;
      continue;
    }
    // The line begun in the previous chunk ends here; the rest is sliced from this chunk alone.
    number += 1;
    onLine(carry + chunk.slice(0, end), number);
    let start = end + 1;
    for (end = chunk.indexOf('\n', start); end !== -1; end = chunk.indexOf('\n', start)) {
      number += 1;
      onLine(chunk.slice(start, end), number);
      start = end + 1;
    }
    carry = chunk.slice(start);
  }
  if (carry !== '') onLine(carry, number + 1);
}

/**
 * Reads the entries of known_hosts files that bear on the given lookup names, each file once.
 *
 * Streams line by line and keeps only lines whose host field matches one of `names`, plus every
 * `@revoked` line (revocation is checked for any host), so a file of 300k lines costs one pass and
 * the memory of its matches. A missing file is silently empty; a file that cannot be read (a
 * directory, no permission) is skipped with a warning, as OpenSSH skips it.
 */
export async function readKnownHostsFor(files: readonly string[], names: readonly string[]): Promise<KnownHostEntry[]> {
  const wanted = [...new Set(names)];
  const entries: KnownHostEntry[] = [];
  for (const file of files) {
    const found: KnownHostEntry[] = [];
    try {
      await forEachLine(file, (raw, line) => {
        const fields = splitKnownHostLine(raw);
        if (fields === null) return;
        if (fields.marker !== 'revoked' && !hostFieldMatchesAny(fields.hosts, wanted)) return;
        const key = readKnownHostKey(fields.rest);
        if (key !== null) found.push({ file, line, marker: fields.marker, hosts: fields.hosts, ...key });
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') log.warn(`skipping known_hosts file ${file}: ${code ?? String(error)}`);
      continue;
    }
    entries.push(...found);
  }
  return entries;
}
