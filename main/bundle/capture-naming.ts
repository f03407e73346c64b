import { createHash } from 'node:crypto';

// How a capture is named, shared by every feature that writes one (captures, experiments).

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The VM's UUID, or for a VM without one a stable name-derived UUID (the manifest needs one). */
export function manifestUuid(uuid: string | null | undefined, vmId: string): string {
  const lower = uuid?.toLowerCase();
  if (lower !== undefined && uuidPattern.test(lower)) return lower;
  const hex = createHash('sha256').update(`civic-vm:${vmId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((Number.parseInt(hex.slice(16, 17), 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A file name for a capture: VM, UTC time and clone id, in characters every file system takes. */
export function captureName(vmName: string, startedAt: string, cloneId: string): string {
  const safeVm = vmName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '').slice(0, 64) || 'vm';
  const time = startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${safeVm}-${time}-${cloneId}`;
}
