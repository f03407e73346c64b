import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readParameter, setParameter } from '../../../../main/twin/config-edit';
import { findProfile, KNOWN_SERVICES, listServiceProfiles, parameterContext } from '../../../../main/twin/service-profiles';

const REPOSITORY = join(__dirname, '..', '..', '..', '..');

/** Debian 12's stock nginx.conf, opening lines (the parts a tuning run reads). */
const DEBIAN_NGINX = `user www-data;
worker_processes auto;
pid /run/nginx.pid;
include /etc/nginx/modules-enabled/*.conf;

events {
\tworker_connections 768;
\t# multi_accept on;
}

http {

\t##
\t# Basic Settings
\t##

\tsendfile on;
\ttcp_nopush on;
\ttypes_hash_max_size 2048;
\tinclude /etc/nginx/conf.d/*.conf;
\tinclude /etc/nginx/sites-enabled/*;
}
`;

describe('service profiles', () => {
  it('finds civic-web and nginx by id, and nothing else', () => {
    expect(findProfile('civic-web')).toMatchObject({ configPath: '/etc/civic-web.conf', port: 8080, urlPath: '/', syntax: 'key-equals-value' });
    expect(findProfile('civic-web')?.reloadArgv).toEqual(['/usr/sbin/civic-web-ctl', 'reload']);
    expect(findProfile('nginx')).toMatchObject({ configPath: '/etc/nginx/nginx.conf', port: 80, syntax: 'nginx', checkArgv: ['/usr/sbin/nginx', '-t'] });
    expect(findProfile('apache')).toBeNull();
  });

  it('lists contract-shaped profiles without the runner’s fields', () => {
    const listed = listServiceProfiles();
    expect(listed.map((profile) => profile.id)).toEqual(['civic-web', 'nginx']);
    for (const profile of listed) {
      expect(Object.keys(profile).sort()).toEqual(['configPath', 'id', 'parameters', 'port', 'title', 'urlPath']);
      for (const parameter of profile.parameters) expect(Object.keys(parameter).sort()).toEqual(['candidates', 'description', 'name']);
    }
    expect(listed[0]?.parameters.find((parameter) => parameter.name === 'workers')?.candidates).toEqual(['1', '2', '4', '8']);
  });

  it('gives each parameter the context its file keeps it in', () => {
    expect(parameterContext(findProfile('nginx'), 'worker_connections')).toEqual(['events']);
    expect(parameterContext(findProfile('nginx'), 'worker_processes')).toEqual([]);
    expect(parameterContext(null, 'workers')).toEqual([]);
  });

  it('finds every parameter in the file it describes (the lab civic-web.conf, Debian’s nginx.conf)', () => {
    const files: Record<string, string> = {
      'civic-web': readFileSync(join(REPOSITORY, 'test', 'lab', 'guest', 'civic-web.conf'), 'utf8'),
      nginx: DEBIAN_NGINX,
    };
    for (const service of KNOWN_SERVICES) {
      const text = files[service.id] as string;
      for (const parameter of service.parameters) {
        const address = { key: parameter.name, context: parameter.context };
        expect(readParameter(text, service.syntax, address).value, `${service.id} ${parameter.name}`).not.toBeNull();
        for (const candidate of parameter.candidates) {
          expect(readParameter(setParameter(text, service.syntax, address, candidate).text, service.syntax, address).value).toBe(candidate);
        }
      }
    }
  });
});
