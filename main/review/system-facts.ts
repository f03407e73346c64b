import type { GuestText, KernelModuleFact, MountConcern, MountFact, PersistenceGroup, SystemFacts, TaintFlagFact } from '../../preload/api';
import type { SystemDocument } from '../bundle/bundle-schema';
import { toGuestText, type GuestStringValue, type GuestTextOptions } from '../bundle/guest-text';
import { guestStringText } from '../detector/guest-string-text';
import { decodeKernelTaint, taintLetterMeaning, type TaintFlag } from '../detector/kernel-taint';
import { preloadEntries } from '../detector/preload-entries';

// Folders anyone can write to: code run from them should need to be copied elsewhere first.
const noexecTargets = new Set(['/tmp', '/dev/shm', '/var/tmp', '/run/shm']);

// File systems a Linux server mounts on its own; anything else (a FUSE mount, a network share
// somewhere odd) is worth a glance.
const usualTypes = new Set([
  'rootfs', 'proc', 'sysfs', 'devtmpfs', 'devpts', 'tmpfs', 'ramfs', 'ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'vfat',
  'cgroup', 'cgroup2', 'securityfs', 'pstore', 'bpf', 'debugfs', 'tracefs', 'mqueue', 'hugetlbfs', 'configfs',
  'fusectl', 'autofs', 'binfmt_misc', 'efivarfs', 'squashfs', 'overlay', 'nsfs', 'selinuxfs', 'rpc_pipefs', 'iso9660',
]);

const short = { maxChars: 256 } as const;
const long = { maxChars: 4096 } as const;

function flagFact(flag: TaintFlag): TaintFlagFact {
  return { letter: flag.letter, meaning: flag.meaning, suspicious: flag.suspicious };
}

function nullableText(value: GuestStringValue | null, options: GuestTextOptions = short): GuestText | null {
  return value === null ? null : toGuestText(value, options);
}

/** Why a mount deserves a look: a world-writable folder without noexec, or an unusual file system type. */
export function mountConcerns(mount: { readonly target: string; readonly fsType: string; readonly options: string }): MountConcern[] {
  const concerns: MountConcern[] = [];
  if (noexecTargets.has(mount.target) && !mount.options.split(',').includes('noexec')) concerns.push('noexec-missing');
  if (!usualTypes.has(mount.fsType)) concerns.push('unusual-type');
  return concerns;
}

function moduleFact(module: SystemDocument['modules'][number]): KernelModuleFact {
  const letters = [...new Set([...guestStringText(module.taints)])];
  return {
    name: toGuestText(module.name, short),
    size: module.size,
    instances: module.instances,
    state: toGuestText(module.state, short),
    taints: toGuestText(module.taints, short),
    taintFlags: letters.flatMap((letter) => {
      const flag = taintLetterMeaning(letter);
      return flag ? [flagFact(flag)] : [];
    }),
  };
}

function mountFact(mount: SystemDocument['mounts'][number]): MountFact {
  return {
    source: toGuestText(mount.source, short),
    target: toGuestText(mount.target, long),
    fsType: toGuestText(mount.fsType, short),
    options: toGuestText(mount.options, long),
    concerns: mountConcerns({ target: guestStringText(mount.target), fsType: guestStringText(mount.fsType), options: guestStringText(mount.options) }),
  };
}

// Groups by the folder a file sits in, compared on raw text so two byte-different folders never merge.
function persistenceGroups(entries: SystemDocument['persistence']): PersistenceGroup[] {
  const groups = new Map<string, { location: GuestStringValue; entries: PersistenceGroup['entries'][number][] }>();
  for (const entry of entries) {
    const path = typeof entry.path === 'string' ? entry.path : Buffer.from(entry.path.b64, 'base64').toString('latin1');
    const slash = path.lastIndexOf('/');
    const folder = slash <= 0 ? '/' : path.slice(0, slash);
    const key = `${typeof entry.path === 'string' ? 's' : 'b'}:${folder}`;
    const location: GuestStringValue = typeof entry.path === 'string' ? folder : { b64: Buffer.from(folder, 'latin1').toString('base64') };
    const group = groups.get(key) ?? { location, entries: [] };
    group.entries.push({
      path: toGuestText(entry.path, long),
      type: entry.type,
      size: entry.size,
      mtime: entry.mtime,
      sha256: entry.sha256,
      linkTarget: nullableText(entry.linkTarget, long),
    });
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((group) => ({ location: toGuestText(group.location, long), entries: group.entries }))
    .sort((a, b) => (a.location.text < b.location.text ? -1 : a.location.text > b.location.text ? 1 : 0));
}

/**
 * A capture's system document made safe to show: every guest string escaped, taint decoded,
 * mounts checked, persistence files grouped by folder.
 */
export function systemFacts(document: SystemDocument): SystemFacts {
  const taint = decodeKernelTaint(document.kernel.tainted);
  const preload = document.ldSoPreload;
  return {
    capturedAt: document.capturedAt,
    kernel: {
      banner: nullableText(document.kernel.banner, long),
      release: nullableText(document.kernel.release),
      tainted: document.kernel.tainted,
      taintFlags: taint.flags.map(flagFact),
      unknownTaintBits: taint.unknown.map((unknown) => unknown.bit),
      uptimeSeconds: document.kernel.uptimeSeconds,
      bootedAt: document.kernel.bootedAt,
    },
    modules: document.modules.map(moduleFact),
    mounts: document.mounts.map(mountFact),
    ldSoPreload: {
      present: preload.present,
      content: preload.content === null ? null : toGuestText(preload.content, { maxChars: 16_384, multiline: true }),
      truncated: preload.truncated,
      loadsSomething: preload.present && preloadEntries(guestStringText(preload.content)).length > 0,
    },
    logins: document.logins.map((login) => ({
      user: toGuestText(login.user, short),
      line: toGuestText(login.line, short),
      host: toGuestText(login.host, short),
      pid: login.pid,
      loginAt: login.loginAt,
    })),
    persistence: persistenceGroups(document.persistence),
    persistenceTruncated: document.persistenceTruncated,
  };
}

/** The system facts of an open capture; null when the capture has no system document. */
export function systemFactsOf(capture: { readonly system: SystemDocument | null }): SystemFacts | null {
  return capture.system === null ? null : systemFacts(capture.system);
}
