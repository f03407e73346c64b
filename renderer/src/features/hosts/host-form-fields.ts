import type { HostDetails, HostForm } from '../../../../preload/api';

/** The form as typed: every field a string, QMP folders one per line. */
export interface HostFormDraft {
  readonly alias: string;
  readonly hostName: string;
  readonly port: string;
  readonly user: string;
  readonly identityFile: string;
  readonly proxyJump: string;
  readonly qmpDirs: string;
}

/** Names of the form's fields, as `subject` of a VALIDATION_FAILED names them too. */
export type HostFormField = keyof HostFormDraft;

/** An empty form for a new host. */
export const emptyHostDraft: HostFormDraft = { alias: '', hostName: '', port: '22', user: 'root', identityFile: '', proxyJump: '', qmpDirs: '' };

/** A host's saved values as a draft to edit. */
export function draftFromHost(host: HostDetails): HostFormDraft {
  return {
    alias: host.alias,
    hostName: host.hostName,
    port: String(host.port),
    user: host.user,
    identityFile: host.identityFile,
    proxyJump: host.proxyJump,
    qmpDirs: host.qmpDirs.join('\n'),
  };
}

// The same rules main applies (main/hosts/host-inventory.ts, main/sessions/host-settings.ts), checked
// here first so the user sees the field at fault before a round trip.
const rules: Record<Exclude<HostFormField, 'qmpDirs' | 'port'>, { pattern: RegExp; message: string; optional?: boolean }> = {
  alias: { pattern: /^[A-Za-z0-9._-]{1,64}$/, message: 'Letters, digits, dot, dash and underscore; up to 64.' },
  hostName: { pattern: /^(?!-)[A-Za-z0-9.:_-]{1,253}$/, message: 'A host name or IP address.' },
  user: { pattern: /^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/, message: 'A user name on the host.' },
  identityFile: { pattern: /^(\/|~\/).{0,4094}$/, message: 'An absolute path, or one starting with ~/.', optional: true },
  proxyJump: { pattern: /^[A-Za-z0-9.:@_,[\]-]{1,1024}$/, message: 'Jump hosts as [user@]host[:port], comma separated.', optional: true },
};

/** The QMP folders of a draft: one per line, blank lines dropped. */
export function qmpDirsOf(draft: HostFormDraft): string[] {
  return draft.qmpDirs
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** Checks a draft; returns the form to send, or a message per field at fault. */
export function validateHostDraft(draft: HostFormDraft): { form: HostForm } | { errors: Partial<Record<HostFormField, string>> } {
  const errors: Partial<Record<HostFormField, string>> = {};
  for (const [field, rule] of Object.entries(rules) as [keyof typeof rules, (typeof rules)[keyof typeof rules]][]) {
    const value = draft[field].trim();
    if (value === '' && rule.optional) continue;
    if (!rule.pattern.test(value)) errors[field] = rule.message;
  }
  const port = Number(draft.port.trim());
  if (!/^\d{1,5}$/.test(draft.port.trim()) || port < 1 || port > 65535) errors.port = 'A port from 1 to 65535.';
  const qmpDirs = qmpDirsOf(draft);
  if (qmpDirs.length > 16) errors.qmpDirs = 'At most 16 folders.';
  else if (qmpDirs.some((folder) => !/^\/[A-Za-z0-9._/+@:-]{0,200}$/.test(folder) || folder.split('/').includes('..'))) {
    errors.qmpDirs = 'Absolute folder paths, one per line (letters, digits and . _ / + @ : - only).';
  }
  if (Object.keys(errors).length > 0) return { errors };
  return {
    form: {
      alias: draft.alias.trim(),
      hostName: draft.hostName.trim(),
      port,
      user: draft.user.trim(),
      identityFile: draft.identityFile.trim(),
      proxyJump: draft.proxyJump.trim(),
      qmpDirs,
    },
  };
}
