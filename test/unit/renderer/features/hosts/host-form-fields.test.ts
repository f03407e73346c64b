import { describe, expect, it } from 'vitest';
import { draftFromHost, emptyHostDraft, validateHostDraft } from '../../../../../renderer/src/features/hosts/host-form-fields';

const good = { ...emptyHostDraft, alias: 'kvm1', hostName: '10.0.0.5', port: '2222', identityFile: '~/.ssh/id_ed25519', qmpDirs: '/run/qmp\n\n /var/lib/qmp ' };

describe('host form fields', () => {
  it('turns a good draft into the form main takes, QMP folders one per line', () => {
    expect(validateHostDraft(good)).toEqual({
      form: { alias: 'kvm1', hostName: '10.0.0.5', port: 2222, user: 'root', identityFile: '~/.ssh/id_ed25519', proxyJump: '', qmpDirs: ['/run/qmp', '/var/lib/qmp'] },
    });
  });

  it('names every field at fault', () => {
    const result = validateHostDraft({ ...good, alias: 'bad name', hostName: '-oProxyCommand=x', port: '70000', identityFile: 'id_rsa', qmpDirs: 'relative/dir' });
    expect('errors' in result && Object.keys(result.errors).sort()).toEqual(['alias', 'hostName', 'identityFile', 'port', 'qmpDirs']);
  });

  it('refuses a QMP folder that climbs out with ..', () => {
    expect('errors' in validateHostDraft({ ...good, qmpDirs: '/run/../etc' })).toBe(true);
  });

  it('edits a saved host with its values', () => {
    const draft = draftFromHost({
      id: 'app:1', alias: 'a', hostName: 'h', user: 'u', port: 22, source: 'app', identityFile: '', proxyJump: 'j', qmpDirs: ['/q1', '/q2'],
    });
    expect(draft).toMatchObject({ port: '22', proxyJump: 'j', qmpDirs: '/q1\n/q2' });
  });
});
