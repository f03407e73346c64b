import { randomUUID } from 'node:crypto';
import { WorkbenchFailure } from '../errors';
import type { HostStore } from './host-store';
import type { HostInput, HostTarget } from './host-types';

/** Hosts from ~/.ssh/config merged with hosts added in the app. */
export interface HostInventory {
  /** ssh-config hosts first (in file order), then app hosts. Re-reads both sources. */
  list(): Promise<HostTarget[]>;
  get(id: string): Promise<HostTarget>;
  add(input: HostInput): Promise<HostTarget>;
  /** Only app hosts can be edited here; ssh-config hosts are edited in their file. */
  edit(id: string, input: HostInput): Promise<HostTarget>;
  remove(id: string): Promise<void>;
}

/** Sources of the inventory; `readSshConfig` is `loadSshConfigHosts` bound to the user's home in the app. */
export interface HostInventoryOptions {
  readonly readSshConfig: () => Promise<HostTarget[]>;
  readonly store: HostStore;
}

const aliasPattern = /^[A-Za-z0-9._-]{1,64}$/;
const hostNamePattern = /^[A-Za-z0-9.:_-]{1,253}$/;
const userPattern = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/;

/** Checks typed host fields; throws VALIDATION_FAILED naming the field. */
export function validateHostInput(input: HostInput): void {
  const fail = (field: string, message: string): never => {
    throw new WorkbenchFailure('VALIDATION_FAILED', message, { subject: field, hint: 'Correct the field and save again.' });
  };
  if (!aliasPattern.test(input.alias)) fail('alias', 'The name may use letters, digits, dot, dash and underscore.');
  // A leading dash would be read as an option by anything that passes the name on.
  if (!hostNamePattern.test(input.hostName) || input.hostName.startsWith('-')) fail('hostName', 'The host name is not a valid name or address.');
  if (!userPattern.test(input.user)) fail('user', 'The user name is not valid.');
  if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535) fail('port', 'The port must be 1 to 65535.');
  if (input.proxyJump !== undefined && !/^[A-Za-z0-9.:@_,[\]-]*$/.test(input.proxyJump)) fail('proxyJump', 'The jump host list is not valid.');
}

function fromInput(id: string, input: HostInput): HostTarget {
  return {
    id,
    alias: input.alias,
    hostName: input.hostName,
    user: input.user,
    port: input.port,
    source: 'app',
    identityFiles: [...(input.identityFiles ?? [])],
    ...(input.proxyJump === undefined || input.proxyJump === '' ? {} : { proxyJump: input.proxyJump }),
  };
}

/** Creates the inventory; every change is written to the store before it is returned. */
export function createHostInventory(options: HostInventoryOptions): HostInventory {
  // Changes are serialised so two quick edits cannot both read the old list and lose one.
  let chain: Promise<unknown> = Promise.resolve();
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const next = chain.then(work);
    chain = next.catch(() => undefined);
    return next;
  };

  const list = async (): Promise<HostTarget[]> => {
    const [fromConfig, fromApp] = await Promise.all([options.readSshConfig(), options.store.load()]);
    return [...fromConfig, ...fromApp];
  };

  const requireAppHost = (hosts: readonly HostTarget[], id: string): number => {
    const index = hosts.findIndex((host) => host.id === id);
    if (index === -1) {
      if (id.startsWith('ssh-config:')) {
        throw new WorkbenchFailure('VALIDATION_FAILED', 'This host is defined in ~/.ssh/config.', {
          subject: id,
          hint: 'Edit ~/.ssh/config to change it; the list follows the file.',
        });
      }
      throw new WorkbenchFailure('NOT_FOUND', 'No such host.', { subject: id });
    }
    return index;
  };

  return {
    list,
    async get(id) {
      const host = (await list()).find((candidate) => candidate.id === id);
      if (!host) throw new WorkbenchFailure('NOT_FOUND', 'No such host.', { subject: id });
      return host;
    },
    add: (input) =>
      serialised(async () => {
        validateHostInput(input);
        const hosts = await options.store.load();
        const host = fromInput(`app:${randomUUID()}`, input);
        await options.store.save([...hosts, host]);
        return host;
      }),
    edit: (id, input) =>
      serialised(async () => {
        validateHostInput(input);
        const hosts = await options.store.load();
        const index = requireAppHost(hosts, id);
        const host = fromInput(id, input);
        await options.store.save(hosts.map((existing, at) => (at === index ? host : existing)));
        return host;
      }),
    remove: (id) =>
      serialised(async () => {
        const hosts = await options.store.load();
        const index = requireAppHost(hosts, id);
        await options.store.save(hosts.filter((_host, at) => at !== index));
      }),
  };
}
