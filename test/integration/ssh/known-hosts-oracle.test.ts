import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchFailure } from '../../../main/errors';
import { createSshService } from '../../../main/ssh/ssh-service';
import { cleanupAll, generateKey, makeTempDir, startSshd, type RunningSshd } from '../../support/sshd';

const run = promisify(execFile);

/** What a client decided about the server's host key. */
type Verdict = 'accept' | 'refuse';

/** The values a case's files and config lines are written with. */
interface CaseContext {
  readonly port: number;
  /** The case's own folder (absolute). */
  readonly dir: string;
  /** `ssh-ed25519 BASE64` of the sshd's real host key. */
  readonly serverKey: string;
  /** Another ed25519 key and an RSA key, neither the server's. */
  readonly otherKey: string;
  readonly rsaKey: string;
  /** `[127.0.0.1]:port`, the name OpenSSH looks up for this sshd. */
  readonly bracketed: string;
}

/** A file's content, or a folder where a file is expected. */
type FileSpec = string | Buffer | { readonly directory: true };

/** One row of the table: files, config lines, and (for deliberate differences) what each side says. */
interface OracleCase {
  readonly name: string;
  /** Files relative to the case folder. `known_hosts` is the UserKnownHostsFile unless `config` names others. */
  readonly files: (context: CaseContext) => Record<string, FileSpec>;
  /** Lines for the `Host target` block; they come before the defaults, so they win (first value wins). */
  readonly config?: (context: CaseContext) => readonly string[];
  /** Files to hash with `ssh-keygen -H` after writing, so hashed entries come from OpenSSH's own tool. */
  readonly hash?: readonly string[];
  /**
   * Set where the app is deliberately stricter than OpenSSH: the app refuses, OpenSSH accepts, and
   * docs/host-keys.md names the case by this text.
   */
  readonly stricter?: string;
}

const lines = (...text: string[]): string => `${text.join('\n')}\n`;

const cases: readonly OracleCase[] = [
  { name: 'plain [host]:port with the server key', files: (c) => ({ known_hosts: lines(`${c.bracketed} ${c.serverKey}`) }) },
  { name: 'plain [host]:port with another key', files: (c) => ({ known_hosts: lines(`${c.bracketed} ${c.otherKey}`) }) },
  { name: 'no entry at all', files: () => ({ known_hosts: '' }) },
  { name: 'bare host on a non-22 port (fallback)', files: (c) => ({ known_hosts: lines(`127.0.0.1 ${c.serverKey}`) }) },
  { name: 'bare host on a non-22 port with another key', files: (c) => ({ known_hosts: lines(`127.0.0.1 ${c.otherKey}`) }) },
  {
    name: 'bare host matches but [host]:port has another key',
    files: (c) => ({ known_hosts: lines(`${c.bracketed} ${c.otherKey}`, `127.0.0.1 ${c.serverKey}`) }),
  },
  {
    name: '[host]:port matches, bare host has another key',
    files: (c) => ({ known_hosts: lines(`127.0.0.1 ${c.otherKey}`, `${c.bracketed} ${c.serverKey}`) }),
  },
  { name: '[host]:22 entry does not name another port', files: (c) => ({ known_hosts: lines(`[127.0.0.1]:22 ${c.serverKey}`) }) },
  { name: 'hashed [host]:port', files: (c) => ({ known_hosts: lines(`${c.bracketed} ${c.serverKey}`) }), hash: ['known_hosts'] },
  { name: 'hashed bare host on a non-22 port', files: (c) => ({ known_hosts: lines(`127.0.0.1 ${c.serverKey}`) }), hash: ['known_hosts'] },
  { name: 'hashed with another key', files: (c) => ({ known_hosts: lines(`${c.bracketed} ${c.otherKey}`) }), hash: ['known_hosts'] },
  { name: 'known key of another type (RSA) only', files: (c) => ({ known_hosts: lines(`${c.bracketed} ${c.rsaKey}`) }) },
  {
    name: 'RSA and the server key both known',
    files: (c) => ({ known_hosts: lines(`${c.bracketed} ${c.rsaKey}`, `${c.bracketed} ${c.serverKey}`) }),
  },
  { name: '@revoked server key', files: (c) => ({ known_hosts: lines(`@revoked ${c.bracketed} ${c.serverKey}`) }) },
  {
    name: '@revoked beats a matching plain line',
    files: (c) => ({ known_hosts: lines(`${c.bracketed} ${c.serverKey}`, `@revoked ${c.bracketed} ${c.serverKey}`) }),
  },
  {
    name: '@revoked for another host',
    files: (c) => ({ known_hosts: lines(`${c.bracketed} ${c.serverKey}`, `@revoked other.example ${c.serverKey}`) }),
    stricter: '@revoked for another host',
  },
  { name: '@cert-authority alone (server offers a plain key)', files: (c) => ({ known_hosts: lines(`@cert-authority ${c.bracketed} ${c.serverKey}`) }) },
  {
    name: '@cert-authority beside a matching plain line',
    files: (c) => ({ known_hosts: lines(`@cert-authority ${c.bracketed} ${c.otherKey}`, `${c.bracketed} ${c.serverKey}`) }),
  },
  {
    name: 'marker ended by a tab is not a marker (the line is skipped)',
    files: (c) => ({ known_hosts: lines(`@revoked\t${c.bracketed} ${c.serverKey}`, `${c.bracketed} ${c.serverKey}`) }),
  },
  {
    name: 'marker and fields all tab-separated',
    files: (c) => ({ known_hosts: lines(`@revoked\t${c.bracketed}\t${c.serverKey.replace(' ', '\t')}`, `${c.bracketed} ${c.serverKey}`) }),
  },
  { name: 'unknown marker', files: (c) => ({ known_hosts: lines(`@trusted ${c.bracketed} ${c.serverKey}`) }) },
  {
    name: 'marker with the wrong key type',
    files: (c) => ({ known_hosts: lines(`@revoked ${c.bracketed} ssh-rsa ${c.serverKey.split(' ')[1]}`, `${c.bracketed} ${c.serverKey}`) }),
  },
  { name: 'key type name that is not the blob', files: (c) => ({ known_hosts: lines(`${c.bracketed} ssh-rsa ${c.serverKey.split(' ')[1]}`) }) },
  { name: 'broken base64', files: (c) => ({ known_hosts: lines(`${c.bracketed} ${c.serverKey.slice(0, -3)}*x=`) }) },
  { name: 'wildcard port [host]:*', files: (c) => ({ known_hosts: lines(`[127.0.0.1]:* ${c.serverKey}`) }) },
  { name: '? pattern', files: (c) => ({ known_hosts: lines(`[127.0.0.?]:${c.port} ${c.serverKey}`) }) },
  { name: 'bare wildcard * (matches [host]:port)', files: (c) => ({ known_hosts: lines(`* ${c.serverKey}`) }) },
  { name: 'pattern list with a matching negation', files: (c) => ({ known_hosts: lines(`[127.0.0.1]:*,!${c.bracketed} ${c.serverKey}`) }) },
  { name: 'pattern list with another negation', files: (c) => ({ known_hosts: lines(`other.example,!10.9.9.9,${c.bracketed} ${c.serverKey}`) }) },
  {
    name: 'negation vetoes a line, another line matches',
    files: (c) => ({ known_hosts: lines(`*,!${c.bracketed} ${c.otherKey}`, `${c.bracketed} ${c.serverKey}`) }),
  },
  { name: 'HostKeyAlias entry', files: (c) => ({ known_hosts: lines(`kvm-alias ${c.serverKey}`) }), config: () => ['HostKeyAlias kvm-alias'] },
  { name: 'HostKeyAlias in capitals', files: (c) => ({ known_hosts: lines(`kvm-alias ${c.serverKey}`) }), config: () => ['HostKeyAlias KVM-Alias'] },
  {
    name: 'HostKeyAlias set, key known only under the address',
    files: (c) => ({ known_hosts: lines(`${c.bracketed} ${c.serverKey}`) }),
    config: () => ['HostKeyAlias kvm-alias'],
  },
  {
    name: 'HostKeyAlias is looked up without a port',
    files: (c) => ({ known_hosts: lines(`[kvm-alias]:${c.port} ${c.serverKey}`) }),
    config: () => ['HostKeyAlias kvm-alias'],
  },
  {
    name: 'HostKeyAlias with another key',
    files: (c) => ({ known_hosts: lines(`kvm-alias ${c.otherKey}`, `${c.bracketed} ${c.serverKey}`) }),
    config: () => ['HostKeyAlias kvm-alias'],
  },
  {
    name: 'UserKnownHostsFile naming a file with another key',
    files: (c) => ({ known_hosts: lines(`${c.bracketed} ${c.serverKey}`), elsewhere: lines(`${c.bracketed} ${c.otherKey}`) }),
    config: (c) => [`UserKnownHostsFile ${c.dir}/elsewhere`],
  },
  {
    name: 'two UserKnownHostsFile files, the key in the second',
    files: (c) => ({ first: lines(`other.example ${c.otherKey}`), second: lines(`${c.bracketed} ${c.serverKey}`) }),
    config: (c) => [`UserKnownHostsFile ${c.dir}/first ${c.dir}/second`],
  },
  {
    name: 'two UserKnownHostsFile files, another key in the first',
    files: (c) => ({ first: lines(`${c.bracketed} ${c.otherKey}`), second: lines(`${c.bracketed} ${c.serverKey}`) }),
    config: (c) => [`UserKnownHostsFile ${c.dir}/first ${c.dir}/second`],
  },
  {
    name: 'UserKnownHostsFile with %h %p %r %n %k %% tokens',
    files: (c) => ({ [`kh-127.0.0.1-${c.port}-nobody-target-target-%`]: lines(`${c.bracketed} ${c.serverKey}`) }),
    config: (c) => [`UserKnownHostsFile ${c.dir}/kh-%h-%p-%r-%n-%k-%%`],
  },
  {
    name: 'UserKnownHostsFile with %u %i %C %l tokens',
    files: (c) => {
      const local = hostname();
      const hash = createHash('sha1').update(`${local}127.0.0.1${c.port}nobody`).digest('hex');
      return { [`kh-root-0-${hash}-${local}`]: lines(`${c.bracketed} ${c.serverKey}`) };
    },
    config: (c) => [`UserKnownHostsFile ${c.dir}/kh-%u-%i-%C-%l`],
  },
  {
    name: 'UserKnownHostsFile none',
    files: (c) => ({ global: lines(`${c.bracketed} ${c.serverKey}`) }),
    config: () => ['UserKnownHostsFile none'],
  },
  {
    name: 'GlobalKnownHostsFile holds the key',
    files: (c) => ({ known_hosts: '', global: lines(`${c.bracketed} ${c.serverKey}`) }),
  },
  {
    name: 'GlobalKnownHostsFile holds another key',
    files: (c) => ({ known_hosts: '', global: lines(`${c.bracketed} ${c.otherKey}`) }),
  },
  {
    name: 'GlobalKnownHostsFile path is not token-expanded',
    files: (c) => ({ 'global-%h': lines(`${c.bracketed} ${c.serverKey}`), 'global-127.0.0.1': lines(`${c.bracketed} ${c.otherKey}`) }),
    config: (c) => [`GlobalKnownHostsFile ${c.dir}/global-%h`],
  },
  { name: 'BOM before the host field', files: (c) => ({ known_hosts: Buffer.from(`\uFEFF${c.bracketed} ${c.serverKey}\n`) }) },
  {
    name: 'BOM line with another key is ignored',
    files: (c) => ({ known_hosts: Buffer.from(`\uFEFF${c.bracketed} ${c.otherKey}\n${c.bracketed} ${c.serverKey}\n`) }),
  },
  { name: 'no-break space as separator', files: (c) => ({ known_hosts: Buffer.from(`${c.bracketed}\u00A0${c.serverKey}\n`) }) },
  { name: 'no-break space between type and key', files: (c) => ({ known_hosts: Buffer.from(`${c.bracketed} ${c.serverKey.replace(' ', '\u00A0')}\n`) }) },
  { name: 'vertical tab as separator', files: (c) => ({ known_hosts: `${c.bracketed}\v${c.serverKey}\n` }) },
  { name: 'tabs as separators', files: (c) => ({ known_hosts: `\t${c.bracketed}\t${c.serverKey.replace(' ', '\t')}\tcomment\n` }) },
  { name: 'CRLF line endings', files: (c) => ({ known_hosts: `# made on Windows\r\n${c.bracketed} ${c.serverKey}\r\n` }) },
  { name: 'CRLF with a comment after the key', files: (c) => ({ known_hosts: `${c.bracketed} ${c.serverKey} me@laptop\r\n` }) },
  { name: 'lone CR joins two lines', files: (c) => ({ known_hosts: `other.example ${c.otherKey}\r${c.bracketed} ${c.serverKey}\n` }) },
  { name: 'comment lines only', files: (c) => ({ known_hosts: lines(`# ${c.bracketed} ${c.serverKey}`, `   #${c.bracketed} ${c.serverKey}`) }) },
  { name: 'no newline at the end', files: (c) => ({ known_hosts: `${c.bracketed} ${c.serverKey}` }) },
  {
    name: 'known_hosts is a directory, the key in the next file',
    files: (c) => ({ known_hosts: { directory: true }, second: lines(`${c.bracketed} ${c.serverKey}`) }),
    config: (c) => [`UserKnownHostsFile ${c.dir}/known_hosts ${c.dir}/second`],
  },
  { name: 'known_hosts is a directory and nothing else', files: () => ({ known_hosts: { directory: true } }) },
  {
    name: 'an unreadable file (even for root), the key in the next file',
    // /proc/sys/vm/compact_memory is mode 0200: open() for reading gives EACCES to root too.
    files: (c) => ({ second: lines(`${c.bracketed} ${c.serverKey}`) }),
    config: (c) => [`UserKnownHostsFile /proc/sys/vm/compact_memory ${c.dir}/second`],
  },
  { name: 'duplicate matching lines', files: (c) => ({ known_hosts: lines(`${c.bracketed} ${c.serverKey}`, `${c.bracketed} ${c.serverKey}`) }) },
  { name: 'duplicate lines with another key', files: (c) => ({ known_hosts: lines(`${c.bracketed} ${c.otherKey}`, `${c.bracketed} ${c.otherKey}`) }) },
];

/** Runs OpenSSH's own client with the case's config; its exit message is the oracle's verdict. */
async function opensshVerdict(config: string, port: number): Promise<{ verdict: Verdict; output: string }> {
  const args = [
    '-F', config,
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'UpdateHostKeys=no',
    '-o', 'PubkeyAuthentication=no',
    '-o', 'PasswordAuthentication=no',
    '-o', 'KbdInteractiveAuthentication=no',
    '-o', 'GSSAPIAuthentication=no',
    '-p', String(port),
    'target',
    'true',
  ];
  const output = await run('ssh', args, { timeout: 30_000 }).then(
    (result) => result.stderr,
    (error: { stderr?: string }) => error.stderr ?? String(error),
  );
  // Authentication is refused on purpose: reaching it means the host key was accepted.
  if (/Permission denied/.test(output)) return { verdict: 'accept', output };
  if (/Host key verification failed/.test(output)) return { verdict: 'refuse', output };
  throw new Error(`ssh gave neither verdict:\n${output}`);
}

describe('known_hosts decisions against OpenSSH ssh as the oracle', () => {
  let sshd: RunningSshd;
  let root: string;
  let context: Omit<CaseContext, 'dir'>;
  let hostKeysDoc: string;

  beforeAll(async () => {
    sshd = await startSshd();
    root = await makeTempDir('civic-known-hosts-oracle-');
    const serverKey = sshd.hostPublicKey.split(' ').slice(0, 2).join(' ');
    const otherKey = (await generateKey(join(root, 'other'))).split(' ').slice(0, 2).join(' ');
    const rsaKey = (await generateKey(join(root, 'rsa'), { type: 'rsa' })).split(' ').slice(0, 2).join(' ');
    context = { port: sshd.port, serverKey, otherKey, rsaKey, bracketed: `[127.0.0.1]:${sshd.port}` };
    hostKeysDoc = await readFile(resolve('docs/host-keys.md'), 'utf8');
  });

  afterAll(() => cleanupAll([() => sshd?.stop(), () => (root ? rm(root, { recursive: true, force: true }) : undefined)]));

  /** Writes a case as a home folder: `.ssh/config` for both clients, the files beside it. */
  async function writeCase(index: number, oracleCase: OracleCase): Promise<{ home: string; config: string }> {
    const home = join(root, `case-${index}`);
    const dir = join(home, 'files');
    await mkdir(join(home, '.ssh'), { recursive: true });
    await mkdir(dir, { recursive: true });
    const caseContext: CaseContext = { ...context, dir };
    for (const [name, spec] of Object.entries(oracleCase.files(caseContext))) {
      if (typeof spec === 'object' && !Buffer.isBuffer(spec)) await mkdir(join(dir, name));
      else await writeFile(join(dir, name), spec);
    }
    for (const name of oracleCase.hash ?? []) await run('ssh-keygen', ['-H', '-f', join(dir, name)]);
    const config = join(home, '.ssh', 'config');
    await writeFile(
      config,
      lines(
        'Host target',
        '  HostName 127.0.0.1',
        `  Port ${context.port}`,
        '  User nobody',
        ...(oracleCase.config?.(caseContext) ?? []).map((line) => `  ${line}`),
        // Defaults for both clients, so neither reads the machine's own files.
        `  UserKnownHostsFile ${dir}/known_hosts`,
        `  GlobalKnownHostsFile ${dir}/global`,
      ),
    );
    return { home, config };
  }

  /** The app's verdict, from its SSH service reading the same `~/.ssh/config`, over a real connect. */
  async function appVerdict(home: string): Promise<{ verdict: Verdict; detail: string }> {
    // A password prompt comes only after the key was accepted; declining it ends the connect.
    let promptedForSecret = false;
    const service = createSshService({
      homeDir: home,
      localUser: 'root',
      dataDir: join(home, 'app-data'),
      confirmUnknownHost: async () => false,
      prompt: async () => {
        promptedForSecret = true;
        return null;
      },
      onState: () => undefined,
      reconnect: { attempts: 0, baseDelayMs: 0, maxDelayMs: 0 },
    });
    try {
      await service.connect('ssh-config:target');
      return { verdict: 'accept', detail: 'connected' };
    } catch (error) {
      if (!(error instanceof WorkbenchFailure)) throw error;
      const { code, message } = error.error;
      if (code === 'AUTH_FAILED' || (code === 'CANCELLED' && promptedForSecret)) return { verdict: 'accept', detail: message };
      if (code.startsWith('HOST_KEY_')) return { verdict: 'refuse', detail: `${code}: ${message}` };
      throw error;
    } finally {
      service.close();
    }
  }

  it('has at least 25 cases with distinct names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    expect(new Set(cases.map((oracleCase) => oracleCase.name)).size).toBe(cases.length);
  });

  it.each(cases.map((oracleCase, index) => [oracleCase.name, index, oracleCase] as const))('%s', async (_name, index, oracleCase) => {
    const { home, config } = await writeCase(index, oracleCase);
    const openssh = await opensshVerdict(config, context.port);
    const app = await appVerdict(home);
    const detail = `ssh: ${openssh.output.trim().split('\n').slice(-2).join(' | ')}\napp: ${app.detail}`;
    if (oracleCase.stricter === undefined) {
      expect(app.verdict, detail).toBe(openssh.verdict);
    } else {
      expect({ app: app.verdict, openssh: openssh.verdict }, detail).toEqual({ app: 'refuse', openssh: 'accept' });
      expect(hostKeysDoc).toContain(oracleCase.stricter);
    }
  });
});
