import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { runCommand } from './run-command';

/** Creates an ed25519 key pair without passphrase unless it already exists; returns the public key line. */
export async function ensureKeyPair(privateKeyPath: string, comment: string): Promise<string> {
  if (!existsSync(privateKeyPath)) {
    await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', privateKeyPath]);
  }
  return (await readFile(`${privateKeyPath}.pub`, 'utf8')).trim();
}

/** The known_hosts line for a server on 127.0.0.1 at a non-standard port: `[127.0.0.1]:PORT TYPE KEY`. */
export function knownHostsLine(port: number, hostPublicKey: string): string {
  const [type, key] = hostPublicKey.split(/\s+/);
  return `[127.0.0.1]:${port} ${type ?? ''} ${key ?? ''}`;
}
