import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Fields of a fake `/proc/PID/stat` line. */
export interface StatFields {
  readonly pid: number;
  readonly comm: string;
  readonly state?: string;
  readonly ppid?: number;
  readonly flags?: number;
  readonly utime?: number;
  readonly stime?: number;
  readonly threads?: number;
  readonly starttime?: number;
  readonly vsize?: number;
  readonly rss?: number;
}

/** A `/proc/PID/stat` line in the kernel's layout (52 fields, comm in parentheses). */
export function statLine(fields: StatFields): string {
  const values = [
    fields.state ?? 'S',
    fields.ppid ?? 1,
    fields.pid,
    fields.pid,
    0,
    -1,
    fields.flags ?? 4194560,
    10,
    0,
    0,
    0,
    fields.utime ?? 0,
    fields.stime ?? 0,
    0,
    0,
    20,
    0,
    fields.threads ?? 1,
    0,
    fields.starttime ?? 0,
    fields.vsize ?? 0,
    fields.rss ?? 0,
    ...Array.from({ length: 30 }, () => 0),
  ];
  return `${fields.pid} (${fields.comm}) ${values.join(' ')}\n`;
}

/** Writes a file, creating its folders. */
export async function put(root: string, path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), content);
}

/** Creates a symbolic link (targets may point nowhere, like `socket:[N]` links in /proc). */
export async function link(root: string, path: string, target: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await symlink(target, join(root, path));
}

/** An address as /proc/net/tcp{,6} prints it: each 32-bit word of the address as a native (little-endian) hex number. */
export function procNetAddress(bytes: readonly number[], port: number): string {
  const buffer = Buffer.from(bytes);
  let text = '';
  for (let offset = 0; offset < buffer.length; offset += 4) text += buffer.readUInt32LE(offset).toString(16).toUpperCase().padStart(8, '0');
  return `${text}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** One /proc/net/tcp-style line. */
export function procNetLine(slot: number, local: string, remote: string, state: number, inode: number): string {
  return `  ${slot}: ${local} ${remote} ${state.toString(16).toUpperCase().padStart(2, '0')} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;
}

/** A utmp record (glibc x86-64 layout, 384 bytes) for a logged-in user. */
export function utmpRecord(user: string, line: string, host: string, pid: number, seconds: number): Buffer {
  const record = Buffer.alloc(384);
  record.writeInt16LE(7, 0); // USER_PROCESS
  record.writeInt32LE(pid, 4);
  record.write(line, 8, 32, 'latin1');
  record.write(user, 44, 32, 'latin1');
  record.write(host, 76, 256, 'latin1');
  record.writeInt32LE(seconds, 340);
  return record;
}
