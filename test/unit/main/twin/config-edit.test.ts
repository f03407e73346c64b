import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkbenchFailure } from '../../../../main/errors';
import { readParameter, setParameter } from '../../../../main/twin/config-edit';

const REPOSITORY = join(__dirname, '..', '..', '..', '..');

/** The validation message of what `run` throws. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WorkbenchFailure);
    expect((error as WorkbenchFailure).code).toBe('VALIDATION_FAILED');
    return (error as WorkbenchFailure).message;
  }
  throw new Error('expected a refusal');
}

const NGINX = `user www-data;
worker_processes auto;   # one per core
pid /run/nginx.pid;
include /etc/nginx/modules-enabled/*.conf;

events {
\tworker_connections 768;
\t# multi_accept on;
}

http {
\tsendfile on;
\tserver {
\t\tlisten 80 default_server;
\t\tlocation / { return 200 "worker_processes 9;"; }
\t}
}
`;

describe('key-equals-value (civic-web)', () => {
  const civicWeb = readFileSync(join(REPOSITORY, 'test', 'lab', 'guest', 'civic-web.conf'), 'utf8');

  it('reads and sets the lab file, changing only the value', () => {
    expect(readParameter(civicWeb, 'key-equals-value', { key: 'workers' })).toEqual({ value: '2', line: 5 });
    const edit = setParameter(civicWeb, 'key-equals-value', { key: 'workers' }, '8');
    expect(edit).toMatchObject({ originalValue: '2', line: 5, appended: false });
    expect(edit.text).toBe(civicWeb.replace('workers = 2\n', 'workers = 8\n'));
    expect(readParameter(civicWeb, 'key-equals-value', { key: 'reload' })).toEqual({ value: null, line: null });
  });

  it('keeps CRLF, tight `key=value`, inline comments and odd spacing', () => {
    const text = '# top\r\nworkers=2  # two\r\n  backend_ms =\t20\r\n';
    expect(setParameter(text, 'key-equals-value', { key: 'workers' }, '4').text).toBe('# top\r\nworkers=4  # two\r\n  backend_ms =\t20\r\n');
    expect(setParameter(text, 'key-equals-value', { key: 'backend_ms' }, '5').text).toBe('# top\r\nworkers=2  # two\r\n  backend_ms =\t5\r\n');
  });

  it('appends a missing key in the file’s own style, after the last setting', () => {
    expect(setParameter('a=1\r\nb=2', 'key-equals-value', { key: 'workers' }, '4')).toEqual({
      text: 'a=1\r\nb=2\r\nworkers=4\r\n',
      originalValue: null,
      line: 3,
      appended: true,
    });
    expect(setParameter('# only a comment\n', 'key-equals-value', { key: 'workers' }, '4').text).toBe('# only a comment\nworkers = 4\n');
    expect(setParameter('', 'key-equals-value', { key: 'workers' }, '4').text).toBe('workers = 4\n');
  });

  it('fills an empty value and keeps the blank after `=`', () => {
    expect(setParameter('workers =\n', 'key-equals-value', { key: 'workers' }, '4').text).toBe('workers = 4\n');
    expect(setParameter('workers=\n', 'key-equals-value', { key: 'workers' }, '4').text).toBe('workers=4\n');
    expect(readParameter('workers = # none yet\n', 'key-equals-value', { key: 'workers' }).value).toBe('');
  });

  it('treats [sections] as contexts: main keys go before the first section', () => {
    const text = 'name = a\n\n[server]\nworkers = 2\n[client]\nworkers = 9\n';
    expect(readParameter(text, 'key-equals-value', { key: 'workers', context: ['client'] })).toEqual({ value: '9', line: 6 });
    expect(setParameter(text, 'key-equals-value', { key: 'workers', context: ['server'] }, '4').text).toBe(text.replace('workers = 2', 'workers = 4'));
    expect(setParameter(text, 'key-equals-value', { key: 'port' }, '80').text).toBe('name = a\nport = 80\n\n[server]\nworkers = 2\n[client]\nworkers = 9\n');
    expect(setParameter('[server]\nworkers = 2\n', 'key-equals-value', { key: 'port' }, '80').text).toBe('port = 80\n[server]\nworkers = 2\n');
    expect(setParameter('[server]\n', 'key-equals-value', { key: 'port', context: ['server'] }, '80').text).toBe('[server]\nport = 80\n');
    expect(setParameter('a = 1\n', 'key-equals-value', { key: 'port', context: ['server'] }, '80')).toMatchObject({ text: 'a = 1\n[server]\nport = 80\n', line: 3 });
  });

  it('refuses a key set twice in one context, naming the lines', () => {
    const text = '# x\nworkers = 2\n\nworkers = 4\n';
    expect(refusal(() => setParameter(text, 'key-equals-value', { key: 'workers' }, '8'))).toBe(
      "'workers' is set 2 times in the main context (lines 2, 4); remove all but one, then try again.",
    );
    expect(refusal(() => readParameter(text, 'key-equals-value', { key: 'workers' }))).toMatch(/lines 2, 4/);
    // The same key in two sections is not ambiguous.
    expect(readParameter('[a]\nk = 1\n[b]\nk = 2\n', 'key-equals-value', { key: 'k', context: ['b'] }).value).toBe('2');
  });

  it('refuses values that would change more than the value', () => {
    for (const value of ['4\nport = 1', '4\r', '', ' 4', '4 ', '4\u0000', '4\t', '4 # x']) {
      refusal(() => setParameter('workers = 2\n', 'key-equals-value', { key: 'workers' }, value));
    }
    expect(refusal(() => setParameter('workers = 2\n', 'key-equals-value', { key: 'work ers' }, '1'))).toMatch(/not a configuration key/);
  });
});

describe('key-space-value', () => {
  it('reads, sets and appends `key value` lines', () => {
    const text = '# comment\nMaxClients 150\nTimeout\t30\n';
    expect(readParameter(text, 'key-space-value', { key: 'Timeout' })).toEqual({ value: '30', line: 3 });
    expect(setParameter(text, 'key-space-value', { key: 'Timeout' }, '60').text).toBe('# comment\nMaxClients 150\nTimeout\t60\n');
    expect(setParameter(text, 'key-space-value', { key: 'KeepAlive' }, 'On').text).toBe(`${text}KeepAlive On\n`);
    expect(setParameter('Timeout 30', 'key-space-value', { key: 'KeepAlive' }, 'On').text).toBe('Timeout 30\nKeepAlive On\n');
    expect(refusal(() => readParameter('Port 22\nPort 2222\n', 'key-space-value', { key: 'Port' }))).toMatch(/lines 1, 2/);
  });
});

describe('nginx', () => {
  it('reads directives of the main context and of a block, not those of other blocks or strings', () => {
    expect(readParameter(NGINX, 'nginx', { key: 'worker_processes' })).toEqual({ value: 'auto', line: 2 });
    expect(readParameter(NGINX, 'nginx', { key: 'worker_connections', context: ['events'] })).toEqual({ value: '768', line: 7 });
    expect(readParameter(NGINX, 'nginx', { key: 'worker_connections' }).value).toBeNull();
    expect(readParameter(NGINX, 'nginx', { key: 'listen', context: ['http', 'server'] }).value).toBe('80 default_server');
  });

  it('sets a value keeping the comment, tabs and everything else', () => {
    expect(setParameter(NGINX, 'nginx', { key: 'worker_processes' }, '4').text).toBe(NGINX.replace('worker_processes auto;', 'worker_processes 4;'));
    expect(setParameter(NGINX, 'nginx', { key: 'worker_connections', context: ['events'] }, '2048')).toMatchObject({
      text: NGINX.replace('768', '2048'),
      originalValue: '768',
      line: 7,
    });
  });

  it('adds a missing directive inside its block with the block’s indentation, or at the end of the main context', () => {
    const edit = setParameter(NGINX, 'nginx', { key: 'multi_accept', context: ['events'] }, 'on');
    expect(edit.text).toBe(NGINX.replace('\t# multi_accept on;\n}', '\t# multi_accept on;\n\tmulti_accept on;\n}'));
    expect(edit).toMatchObject({ line: 9, appended: true, originalValue: null });
    const noWorkers = 'user www-data;\r\nevents { worker_connections 512; }\r\n';
    expect(setParameter(noWorkers, 'nginx', { key: 'worker_processes' }, '2').text).toBe(`${noWorkers}worker_processes 2;\r\n`);
    expect(setParameter(noWorkers, 'nginx', { key: 'multi_accept', context: ['events'] }, 'on').text).toBe(
      'user www-data;\r\nevents { worker_connections 512; multi_accept on; }\r\n',
    );
    expect(setParameter('user www-data;', 'nginx', { key: 'worker_connections', context: ['events'] }, '1024')).toMatchObject({
      text: 'user www-data;\nevents {\n    worker_connections 1024;\n}\n',
      line: 3,
    });
  });

  it('refuses duplicates in one context, files it cannot follow, and values nginx would read as syntax', () => {
    expect(refusal(() => setParameter('worker_processes 1;\nevents {}\nworker_processes 2;\n', 'nginx', { key: 'worker_processes' }, '4'))).toMatch(
      /set 2 times in the main context \(lines 1, 3\)/,
    );
    expect(refusal(() => readParameter('events {\n', 'nginx', { key: 'x' }))).toMatch(/opened on line 1 never closes/);
    expect(refusal(() => readParameter('worker_processes 1\n', 'nginx', { key: 'x' }))).toMatch(/no closing ';'/);
    expect(refusal(() => readParameter('}\n', 'nginx', { key: 'x' }))).toMatch(/closes no block/);
    expect(refusal(() => readParameter('a "b;\n', 'nginx', { key: 'x' }))).toMatch(/never closes/);
    for (const value of ['4; user root', '{', '}', '4 # x', '"4"']) refusal(() => setParameter(NGINX, 'nginx', { key: 'worker_processes' }, value));
    expect(readParameter('events {}\nevents {}\n', 'nginx', { key: 'worker_connections', context: ['events'] }).value).toBeNull();
    expect(refusal(() => setParameter('events {}\nevents {}\n', 'nginx', { key: 'worker_connections', context: ['events'] }, '1'))).toBe(
      "The nginx block 'events' appears 2 times (lines 1, 2).",
    );
  });
});

describe('size', () => {
  it('edits a long nginx file at its last line, and refuses one over 4 MiB', () => {
    const long = `${Array.from({ length: 20_000 }, (_, index) => `set_${index} ${index};`).join('\n')}\nworker_processes 1;\n`;
    expect(setParameter(long, 'nginx', { key: 'worker_processes' }, '2')).toMatchObject({ line: 20_001, originalValue: '1' });
    expect(refusal(() => readParameter(`${'#'.repeat(4 * 1024 * 1024)}\n`, 'key-equals-value', { key: 'a' }))).toMatch(/larger than 4 MiB/);
  });
});
