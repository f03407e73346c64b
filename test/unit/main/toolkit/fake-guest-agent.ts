import { createHash } from 'node:crypto';
import type { GuestAgent } from '../../../../main/toolkit/guest-agent';
import { MOUNT_SCRIPT_NAME, REMOVE_SCRIPT_NAME } from '../../../../main/toolkit/injection-plan';

/** What a fake guest program returns. */
export interface FakeExit {
  readonly exitcode: number;
  readonly out?: string;
  readonly err?: string;
}

/** A program handler: gets the argv (path first) and the fake guest. */
export type FakeProgram = (argv: readonly string[], guest: FakeGuest) => FakeExit;

/**
 * An in-memory guest behind a qemu-ga-shaped {@link GuestAgent}: files, folders, one tmpfs flag, and programs
 * looked up by path. Every guest-exec is recorded, so tests can tell which guest binaries were run.
 */
export class FakeGuest implements GuestAgent {
  readonly files = new Map<string, Buffer>();
  readonly folders = new Set<string>(['/run', '/proc']);
  readonly executable = new Set<string>();
  readonly execs: string[][] = [];
  readonly programs = new Map<string, FakeProgram>();
  mounted = false;
  /** Replaces what guest-file-read returns for a path (a guest that lies about a file). */
  readonly readOverrides = new Map<string, Buffer>();
  private handles = new Map<number, { path: string; mode: string; offset: number }>();
  private nextHandle = 1;
  private results = new Map<number, FakeExit>();
  private nextPid = 100;

  async execute(command: string, args: Record<string, unknown> = {}): Promise<unknown> {
    switch (command) {
      case 'guest-file-open': {
        const path = String(args.path);
        const mode = String(args.mode);
        if (mode === 'r' && !this.files.has(path)) throw new Error(`open ${path}: No such file`);
        if (mode === 'w') this.files.set(path, Buffer.alloc(0));
        const handle = this.nextHandle++;
        this.handles.set(handle, { path, mode, offset: 0 });
        return handle;
      }
      case 'guest-file-write': {
        const open = this.handle(args.handle);
        const bytes = Buffer.from(String(args['buf-b64']), 'base64');
        this.files.set(open.path, Buffer.concat([this.files.get(open.path) ?? Buffer.alloc(0), bytes]));
        return { count: bytes.length, eof: false };
      }
      case 'guest-file-read': {
        const open = this.handle(args.handle);
        const content = this.readOverrides.get(open.path) ?? this.files.get(open.path) ?? Buffer.alloc(0);
        const chunk = content.subarray(open.offset, open.offset + Number(args.count));
        open.offset += chunk.length;
        return { count: chunk.length, 'buf-b64': chunk.toString('base64'), eof: open.offset >= content.length };
      }
      case 'guest-file-close':
        this.handles.delete(Number(args.handle));
        return {};
      case 'guest-exec': {
        const argv = [String(args.path), ...((args.arg as string[] | undefined) ?? [])];
        this.execs.push(argv);
        const program = this.programs.get(argv[0] ?? '');
        if (!program) throw new Error(`Failed to execute child process "${argv[0]}" (No such file or directory)`);
        const pid = this.nextPid++;
        this.results.set(pid, program(argv, this));
        return { pid };
      }
      case 'guest-exec-status': {
        const result = this.results.get(Number(args.pid));
        if (!result) throw new Error('no such pid');
        return {
          exited: true,
          exitcode: result.exitcode,
          'out-data': Buffer.from(result.out ?? '').toString('base64'),
          'err-data': Buffer.from(result.err ?? '').toString('base64'),
        };
      }
      default:
        throw new Error(`unexpected command ${command}`);
    }
  }

  private handle(value: unknown): { path: string; mode: string; offset: number } {
    const open = this.handles.get(Number(value));
    if (!open) throw new Error('bad handle');
    return open;
  }
}

/** Lower-case hex SHA-256. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function unmount(guest: FakeGuest, folder: string): void {
  guest.mounted = false;
  for (const path of [...guest.files.keys()]) if (path.startsWith(`${folder}/`)) guest.files.delete(path);
}

/**
 * A busybox good enough for the injector: rm, sha256sum, tar (which "unpacks" `contents`, toolkit path ->
 * bytes, under `-C`), and sh, which knows the plan's two scripts by their $0 and does what they do.
 */
export function fakeBusybox(contents: ReadonlyMap<string, Buffer>): FakeProgram {
  return (argv, guest) => {
    const [, applet, ...rest] = argv;
    switch (applet) {
      case 'sh': {
        const [, , name, busybox = '', folder = ''] = rest;
        if (name === MOUNT_SCRIPT_NAME) {
          if (guest.mounted) unmount(guest, folder);
          guest.folders.add(folder);
          guest.mounted = true;
          return { exitcode: 0 };
        }
        if (name === REMOVE_SCRIPT_NAME) {
          if (guest.mounted) unmount(guest, folder);
          if (![...guest.files.keys()].some((path) => path.startsWith(`${folder}/`))) guest.folders.delete(folder);
          guest.files.delete(busybox);
          guest.programs.delete(busybox);
          return { exitcode: 0 };
        }
        return { exitcode: 2, err: 'unknown script' };
      }
      case 'rm':
        for (const path of rest.filter((arg) => arg !== '-f')) guest.files.delete(path);
        return { exitcode: 0 };
      case 'tar': {
        const target = rest[rest.indexOf('-C') + 1] ?? '';
        for (const [path, bytes] of contents) {
          guest.files.set(`${target}/${path}`, bytes);
          if (path.startsWith('bin/')) guest.executable.add(`${target}/${path}`);
        }
        return { exitcode: 0 };
      }
      case 'sha256sum': {
        const lines = rest.filter((path) => guest.files.has(path)).map((path) => `${sha256(guest.files.get(path) as Buffer)}  ${path}`);
        return { exitcode: lines.length === rest.length ? 0 : 1, out: `${lines.join('\n')}\n` };
      }
      default:
        return { exitcode: 127, err: `${applet}: applet not found` };
    }
  };
}
