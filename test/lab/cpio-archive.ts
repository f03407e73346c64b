/** One member of an initramfs archive. */
export type CpioEntry =
  | { readonly kind: 'directory'; readonly path: string; readonly mode?: number }
  | { readonly kind: 'file'; readonly path: string; readonly data: Uint8Array; readonly mode: number }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string }
  | { readonly kind: 'char-device'; readonly path: string; readonly major: number; readonly minor: number };

const TYPE_DIRECTORY = 0o040000;
const TYPE_FILE = 0o100000;
const TYPE_SYMLINK = 0o120000;
const TYPE_CHAR_DEVICE = 0o020000;

/**
 * Encodes entries as a "newc" cpio archive, the format the kernel unpacks as initramfs.
 *
 * Owner root, mtime 0: the same inputs give the same bytes. Archives may be concatenated; the kernel
 * unpacks them in order, later members overriding earlier ones.
 */
export function encodeCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let inode = 1;
  for (const entry of entries) {
    const path = entry.path.replace(/^\/+/, '');
    switch (entry.kind) {
      case 'directory':
        parts.push(member(path, TYPE_DIRECTORY | (entry.mode ?? 0o755), inode++, Buffer.alloc(0), 2));
        break;
      case 'file':
        parts.push(member(path, TYPE_FILE | entry.mode, inode++, Buffer.from(entry.data), 1));
        break;
      case 'symlink':
        parts.push(member(path, TYPE_SYMLINK | 0o777, inode++, Buffer.from(entry.target, 'utf8'), 1));
        break;
      case 'char-device':
        parts.push(member(path, TYPE_CHAR_DEVICE | 0o600, inode++, Buffer.alloc(0), 1, entry.major, entry.minor));
        break;
    }
  }
  parts.push(member('TRAILER!!!', 0, 0, Buffer.alloc(0), 1));
  return Buffer.concat(parts);
}

function member(name: string, mode: number, inode: number, data: Buffer, links: number, major = 0, minor = 0): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const fields = [inode, mode, 0, 0, links, 0, data.length, 0, 0, major, minor, nameBytes.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii');
  return Buffer.concat([header, nameBytes, padding(header.length + nameBytes.length), data, padding(data.length)]);
}

function hex8(value: number): string {
  return value.toString(16).padStart(8, '0');
}

function padding(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}
