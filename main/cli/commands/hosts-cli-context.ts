import { homedir } from 'node:os';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { installPaths } from '../../app/install-paths';
import { WorkbenchFailure } from '../../errors';
import { registerSecret } from '../../logging/redact';
import { createWorkbenchServices, type WorkbenchServices } from '../../services';
import type { SecretRequest } from '../../ssh/ssh-auth';
import { defaultAppDataDir } from '../../storage/app-paths';
import type { CliIo } from './cli-io';

/** Where the host commands find their folders and how they ask for secrets; tests replace each. */
export interface HostsCliEnvironment {
  readonly appDataDir: string;
  readonly homeDir: string;
  readonly resourcesDir: string;
  /** Reads a secret from the terminal; null when there is no terminal or the user gave none. */
  readonly readSecret: (request: SecretRequest, io: CliIo) => Promise<string | null>;
}

/** Asks on the controlling terminal without echo; refuses clearly when stdin is not a terminal. */
export async function readSecretFromTty(request: SecretRequest, io: CliIo): Promise<string | null> {
  if (!process.stdin.isTTY) {
    io.err(`civic: ${request.target} asks for a ${request.kind}, and stdin is not a terminal to type it on.\n`);
    return null;
  }
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted || request.echo) process.stderr.write(chunk);
      done();
    },
  });
  const reader = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = await new Promise<string>((resolve) => {
      reader.question(`${request.prompt} (${request.target}): `, resolve);
      muted = true;
    });
    process.stderr.write('\n');
    if (!request.echo && answer !== '') registerSecret(answer);
    return answer;
  } finally {
    reader.close();
  }
}

/** The folders and prompts of a real run. */
export function defaultHostsCliEnvironment(): HostsCliEnvironment {
  return { appDataDir: defaultAppDataDir(), homeDir: homedir(), resourcesDir: installPaths().resourcesDir, readSecret: readSecretFromTty };
}

/**
 * Builds the app's services for one command, with the CLI's non-interactive host-key policy.
 *
 * An unknown host key is accepted only with `--accept-new-host-key`; otherwise the connect fails
 * HOST_KEY_UNKNOWN, and the message names the fingerprint so it can be checked out of band.
 */
export function createCliServices(environment: HostsCliEnvironment, io: CliIo, options: { readonly acceptNewHostKey: boolean }): WorkbenchServices {
  return createWorkbenchServices({
    appDataDir: environment.appDataDir,
    resourcesDir: environment.resourcesDir,
    transport: 'web',
    homeDir: environment.homeDir,
    hosts: {
      prompts: {
        confirmUnknownHost: async (key) => {
          if (options.acceptNewHostKey) io.err(`civic: accepting new host key of [${key.host}]:${key.port}: ${key.keyType} ${key.fingerprint}\n`);
          return options.acceptNewHostKey;
        },
        prompt: (request) => environment.readSecret(request, io),
      },
      // A command is one shot: no background reconnect after it is done.
      reconnect: { attempts: 0, baseDelayMs: 1_000, maxDelayMs: 1_000 },
    },
  });
}

/** Finds a host by id or alias; throws NOT_FOUND naming what was asked for. */
export async function resolveHostId(services: WorkbenchServices, name: string): Promise<string> {
  const hosts = await services.hosts.list();
  const host = hosts.find((candidate) => candidate.id === name) ?? hosts.find((candidate) => candidate.alias === name);
  if (!host) throw new WorkbenchFailure('NOT_FOUND', `No host named "${name}".`, { subject: name, hint: 'See `civic hosts list` for the names and ids.' });
  return host.id;
}
