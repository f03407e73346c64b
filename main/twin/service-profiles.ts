import type { ServiceProfile } from '../../preload/api';
import type { ConfigSyntax } from './config-edit';

/** A knob of a known service, with the block or section it lives in (`[]`: the main context). */
export interface KnownServiceParameter {
  readonly name: string;
  readonly description: string;
  readonly candidates: readonly string[];
  /** Pass as `context` to `readParameter` / `setParameter`: nginx's `worker_connections` is in `events`. */
  readonly context: readonly string[];
}

/** A service profile with what the tuning runner needs beyond the contract's `ServiceProfile`. */
export interface KnownService extends ServiceProfile {
  readonly parameters: readonly KnownServiceParameter[];
  /** How `configPath` spells a setting, for `config-edit`. */
  readonly syntax: ConfigSyntax;
  /** Run in the twin after each edit so the service reads the new file without dropping connections. */
  readonly reloadArgv: readonly string[];
  /** Checks the edited file before the reload (exit 0: good); null when the reload checks it itself. */
  readonly checkArgv: readonly string[] | null;
}

const CIVIC_WEB: KnownService = {
  id: 'civic-web',
  title: 'civic-web',
  configPath: '/etc/civic-web.conf',
  parameters: [
    {
      name: 'workers',
      description: 'Pre-forked worker processes (1..64); each serves one connection at a time.',
      candidates: ['1', '2', '4', '8'],
      context: [],
    },
    {
      name: 'backend_ms',
      description: 'Milliseconds each request waits, as a call to a backend would (0..60000).',
      candidates: ['0', '10', '20', '50'],
      context: [],
    },
  ],
  port: 8080,
  urlPath: '/',
  syntax: 'key-equals-value',
  reloadArgv: ['/usr/sbin/civic-web-ctl', 'reload'],
  // civic-web-ctl checks the file before it signals the server, and a bad file keeps the running
  // configuration (the server logs it), so a separate check would only repeat that one.
  checkArgv: null,
};

const NGINX: KnownService = {
  id: 'nginx',
  title: 'nginx',
  configPath: '/etc/nginx/nginx.conf',
  parameters: [
    {
      name: 'worker_processes',
      description: 'Worker processes; `auto` starts one per CPU core.',
      candidates: ['1', '2', '4', 'auto'],
      context: [],
    },
    {
      name: 'worker_connections',
      description: 'Connections each worker may hold open at once, clients and upstreams together (in the events block).',
      candidates: ['512', '1024', '2048'],
      context: ['events'],
    },
  ],
  port: 80,
  urlPath: '/',
  syntax: 'nginx',
  // `-s reload` makes the master start new workers with the new file and retire the old ones gracefully.
  reloadArgv: ['/usr/sbin/nginx', '-s', 'reload'],
  // `-t` parses the whole configuration the master would load (nginx.conf and its includes).
  checkArgv: ['/usr/sbin/nginx', '-t'],
};

/** Every service the app knows how to tune. */
export const KNOWN_SERVICES: readonly KnownService[] = [CIVIC_WEB, NGINX];

/** A known service by id, or null. */
export function findProfile(id: string): KnownService | null {
  return KNOWN_SERVICES.find((service) => service.id === id) ?? null;
}

/** The profiles as the contract shows them (without the runner's own fields). */
export function listServiceProfiles(): ServiceProfile[] {
  return KNOWN_SERVICES.map(({ id, title, configPath, parameters, port, urlPath }) => ({
    id,
    title,
    configPath,
    parameters: parameters.map(({ name, description, candidates }) => ({ name, description, candidates })),
    port,
    urlPath,
  }));
}

/** Where a parameter lives in the profile's file: its block path, or the main context for unknown names and no profile. */
export function parameterContext(profile: KnownService | null | undefined, parameter: string): readonly string[] {
  return profile?.parameters.find((known) => known.name === parameter)?.context ?? [];
}
