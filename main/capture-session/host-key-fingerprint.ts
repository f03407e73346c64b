import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprintSha256, hostFieldMatches, parseKnownHosts, type KnownHostEntry } from '../ssh/known-hosts';

async function entriesOf(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'), file);
  } catch {
    return [];
  }
}

/**
 * The SHA256 fingerprint of the host key the connection was verified with.
 *
 * A connection is only made after its key matched a known_hosts entry, and the key exchange offers the
 * known key types first in file order, so the first plain entry for the host is the key in use.
 * Null when no file lists the host (then the manifest cannot name it and the capture stops).
 */
export async function knownHostFingerprint(files: readonly string[], host: string, port: number): Promise<string | null> {
  const entries = (await Promise.all(files.map(entriesOf))).flat();
  const entry = entries.find((candidate) => candidate.marker === null && hostFieldMatches(candidate.hosts, host, port));
  return entry === undefined ? null : fingerprintSha256(entry.key);
}

/** The known_hosts files the app's verifier reads, in its order. */
export function knownHostsFiles(homeDir: string, appDataDir: string): string[] {
  return [join(homeDir, '.ssh', 'known_hosts'), join(homeDir, '.ssh', 'known_hosts2'), join(appDataDir, 'known_hosts')];
}
