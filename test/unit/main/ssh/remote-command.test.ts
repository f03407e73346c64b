import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { wrapWithPid } from '../../../../main/ssh/remote-command';
import { isSudoPasswordRefusal, privilegedArgv } from '../../../../main/ssh/sudo';

describe('remote command line', () => {
  it('reports the pid first, then execs the argv in its place', () => {
    const out = execFileSync('sh', ['-c', wrapWithPid(['sh', '-c', 'echo "$$ $1"', 'sh', "it's $(x)"])]).toString('utf8');
    const [first, second] = out.trim().split('\n');
    const pid = /^civic-pid:(\d+)$/.exec(first ?? '')?.[1];
    expect(pid).toBeDefined();
    // Same pid: the command replaced the shell, so killing the group reaches it.
    expect(second).toBe(`${pid} it's $(x)`);
  });
});

describe('sudo', () => {
  it('runs root commands as they are and others under sudo -n', () => {
    expect(privilegedArgv('root', ['virsh', 'list'])).toEqual(['virsh', 'list']);
    expect(privilegedArgv('ana', ['virsh', 'list'])).toEqual(['sudo', '-n', '--', 'virsh', 'list']);
  });

  it('recognises the refusals sudo -n prints', () => {
    const refused = (text: string) => isSudoPasswordRefusal({ exitCode: 1, stderr: Buffer.from(text) });
    expect(refused('sudo: a password is required\n')).toBe(true);
    expect(refused('sudo: a terminal is required to read the password; either use the -S option\n')).toBe(true);
    expect(refused('virsh: error: failed to connect\n')).toBe(false);
    expect(isSudoPasswordRefusal({ exitCode: 0, stderr: Buffer.from('a password is required') })).toBe(false);
  });
});
