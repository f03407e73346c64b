/** A guest's IPv4 address and prefix, as its own tools print them. */
export interface GuestAddress {
  readonly address: string;
  readonly prefix: number;
}

const dottedQuad = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function maskPrefix(mask: string): number | null {
  if (!dottedQuad.test(mask)) return null;
  const bits = mask.split('.').map((part) => Number(part).toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits) ? bits.indexOf('0') === -1 ? 32 : bits.indexOf('0') : null;
}

/**
 * The first global IPv4 address in `ip -4 -o addr show` output (`2: eth0    inet 192.168.77.10/24 ...`),
 * or in busybox `ifconfig` output (`inet addr:10.0.2.15  Bcast:...  Mask:255.255.255.0`); loopback
 * is skipped. Guest output is hostile: anything that is not a well-formed address is ignored.
 */
export function guestAddressFromIpOutput(output: string): GuestAddress | null {
  for (const match of output.matchAll(/\binet (\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})\b/g)) {
    const [, address = '', prefix = ''] = match;
    if (dottedQuad.test(address) && !address.startsWith('127.') && Number(prefix) >= 8 && Number(prefix) <= 30) return { address, prefix: Number(prefix) };
  }
  for (const match of output.matchAll(/inet addr:(\d{1,3}(?:\.\d{1,3}){3})[^\n]*?Mask:(\d{1,3}(?:\.\d{1,3}){3})/g)) {
    const [, address = '', mask = ''] = match;
    const prefix = maskPrefix(mask);
    if (dottedQuad.test(address) && !address.startsWith('127.') && prefix !== null && prefix >= 8 && prefix <= 30) return { address, prefix };
  }
  return null;
}

/**
 * Whether a guest at `address` needs its clone's isolated network on its own subnet: slirp's default
 * network is 10.0.2.0/24 with the guest at 10.0.2.15 (DHCP), which a forward reaches as it is.
 */
export function needsOwnSubnet(address: GuestAddress): boolean {
  return !(address.address.startsWith('10.0.2.') && address.prefix === 24);
}
