import type { CliIo } from './commands/cli-io';
import { collectCommand } from './commands/collect-command';
import { hostsCommand } from './commands/hosts-command';
import { summaryCommand } from './commands/summary';
import { twinCommand } from './commands/twin-command';
import { verifyCommand } from './commands/verify';
import { vmsCommand } from './commands/vms-command';
import { serveCommand } from './serve-command';

// The `civic` command. It only routes to commands, which call the same services the app calls.

const usage = `usage: civic <command> [arguments]

commands:
  verify <capture>            check a capture's integrity and custody chain (exit 0 verified, 1 not)
  summary <capture> [--json]  provenance, counts and top findings of a capture
  serve [--port N] [CAPTURE]  run the workbench in a browser on 127.0.0.1 (web mode)
  hosts list|add|remove|test  KVM hosts: the inventory and a connection check
  vms <host>                  what a host can do and its VMs (helper probe + list)
  collect <host> <vm>         capture a VM through a live clone into a verified .civic
  twin start|list|renew|...   twins: clones under a lease the host enforces (start renews it
                              while it runs), and tuning and agent experiments on them
`;

const commands: Record<string, (args: readonly string[], io: CliIo) => Promise<number>> = {
  verify: verifyCommand,
  summary: summaryCommand,
  serve: serveCommand,
  hosts: (args, io) => hostsCommand(args, io),
  vms: (args, io) => vmsCommand(args, io),
  collect: (args, io) => collectCommand(args, io),
  twin: (args, io) => twinCommand(args, io),
};

/** Runs the CLI with the given arguments and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage);
    return name === undefined ? 2 : 0;
  }
  const command = Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : undefined;
  if (!command) {
    io.err(`civic: unknown command "${name}"\n\n${usage}`);
    return 2;
  }
  return command(rest, io);
}

/** The process's own standard streams. */
export const processIo: CliIo = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };
