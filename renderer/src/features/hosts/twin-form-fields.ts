import type { TwinRequest } from '../../../../preload/api';

/** The start-twin form as typed. */
export interface TwinDraft {
  /** The lease in minutes, 1..1440. */
  readonly ttlMinutes: string;
  /** Guest TCP ports, comma separated. */
  readonly ports: string;
  /** Whether the guest has a static address the clone cannot learn by DHCP. */
  readonly staticAddress: boolean;
  /** With a static address: ask the guest agent (`auto`), or the address typed here. */
  readonly addressSource: 'auto' | 'manual';
  readonly address: string;
  readonly prefix: string;
  readonly autoRenew: boolean;
}

/** Names of the form's fields that can be at fault. */
export type TwinDraftField = 'ttlMinutes' | 'ports' | 'address' | 'prefix';

/** Guest ports worth forwarding by default: a web service's usual ones. */
export const defaultTwinPorts: readonly number[] = [8080, 80];

/** A fresh form: a 30-minute lease renewed while the app runs, the usual web ports, DHCP. */
export const emptyTwinDraft: TwinDraft = {
  ttlMinutes: '30',
  ports: defaultTwinPorts.join(', '),
  staticAddress: false,
  addressSource: 'auto',
  address: '',
  prefix: '24',
  autoRenew: true,
};

const maxPorts = 16;

/** The ports of a comma-separated list, or why it is not one (empty is allowed: nothing forwarded). */
export function parsePorts(text: string): { ports: number[] } | { problem: string } {
  const words = text
    .split(/[,\s]+/)
    .map((word) => word.trim())
    .filter((word) => word !== '');
  const ports: number[] = [];
  for (const word of words) {
    const port = Number(word);
    if (!/^\d{1,5}$/.test(word) || port < 1 || port > 65535) return { problem: `"${word}" is not a port: use numbers from 1 to 65535, separated by commas.` };
    if (!ports.includes(port)) ports.push(port);
  }
  if (ports.length > maxPorts) return { problem: `At most ${maxPorts} ports.` };
  return { ports };
}

function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}

function isIpv6(text: string): boolean {
  return /^[0-9a-f:]+$/i.test(text) && text.includes(':') && (text.match(/::/g)?.length ?? 0) <= 1 && text.split(':').every((group) => group.length <= 4);
}

/** Checks a draft; returns the request to send, or a message per field at fault. */
export function validateTwinDraft(draft: TwinDraft, hostId: string, vmId: string): { request: TwinRequest } | { errors: Partial<Record<TwinDraftField, string>> } {
  const errors: Partial<Record<TwinDraftField, string>> = {};
  const ttlText = draft.ttlMinutes.trim();
  const minutes = Number(ttlText);
  if (!/^\d{1,4}$/.test(ttlText) || minutes < 1 || minutes > 1440) errors.ttlMinutes = 'Minutes from 1 to 1440 (a day).';
  const parsed = parsePorts(draft.ports);
  if ('problem' in parsed) errors.ports = parsed.problem;
  let guestNetwork: TwinRequest['guestNetwork'];
  if (draft.staticAddress && draft.addressSource === 'auto') guestNetwork = 'auto';
  if (draft.staticAddress && draft.addressSource === 'manual') {
    const address = draft.address.trim();
    const v4 = isIpv4(address);
    if (!v4 && !isIpv6(address)) errors.address = 'An IPv4 or IPv6 address, such as 192.168.122.10.';
    const prefixText = draft.prefix.trim();
    const prefix = Number(prefixText);
    const maxPrefix = v4 || errors.address !== undefined ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefixText) || prefix < 0 || prefix > maxPrefix) errors.prefix = `A prefix length from 0 to ${maxPrefix}.`;
    if (errors.address === undefined && errors.prefix === undefined) guestNetwork = { address, prefix };
  }
  if (Object.keys(errors).length > 0 || 'problem' in parsed) return { errors };
  return {
    request: {
      hostId,
      vmId,
      ttlSeconds: minutes * 60,
      guestPorts: parsed.ports,
      ...(guestNetwork === undefined ? {} : { guestNetwork }),
      autoRenew: draft.autoRenew,
    },
  };
}
