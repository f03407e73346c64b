import type { StoredFinding } from '../bundle/bundle-schema';
import type { DetectorContext, ProcessView } from './detector-context';
import { guestStringText } from './guest-string-text';
import { decodeKernelTaint } from './kernel-taint';
import { preloadEntries } from './preload-entries';

/** A finding before it gets its id. */
export type FindingDraft = Omit<StoredFinding, 'id'>;

/** One rule: reads the context, returns what it found. */
export interface AnomalyRule {
  readonly id: string;
  readonly version: number;
  readonly detect: (context: DetectorContext) => FindingDraft[];
}

const tempFolders = ['/tmp/', '/var/tmp/', '/dev/shm/', '/run/shm/'];
const webServers = new Set(['httpd', 'nginx', 'apache2', 'apache', 'lighttpd', 'php-fpm', 'uwsgi', 'gunicorn', 'fcgiwrap', 'caddy']);
const shells = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh']);
// Ports long used by backdoors and IRC-controlled bots; a listener on one deserves a look.
const suspiciousPorts = new Set([1337, 4444, 5555, 6666, 6667, 12345, 31337, 54321]);
const bidiControls = /[\u202A-\u202E\u2066-\u2069]/;

function describe(view: ProcessView): string {
  return `pid ${view.pid} "${view.name}"`;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

const exeInTempDir: AnomalyRule = {
  id: 'exe-in-temp-dir',
  version: 1,
  detect: (context) =>
    context.processes
      .filter((view) => !view.record.kernelThread && tempFolders.some((folder) => view.exe.startsWith(folder)))
      .map((view) => ({
        rule: 'exe-in-temp-dir',
        severity: 'critical',
        title: 'Process runs from a temporary folder',
        detail: `${describe(view)} runs ${view.exe} as ${view.user || `uid ${view.record.uid}`}.`,
        pids: [view.pid],
        falsePositives: 'Installers and build tools run briefly from /tmp; long-running ones rarely do.',
        nextStep: "Hash the binary from the clone's disk overlay, and find how it was written there (logs around its start time).",
      })),
};

const exeDeleted: AnomalyRule = {
  id: 'exe-deleted',
  version: 1,
  detect: (context) =>
    context.processes
      .filter((view) => view.record.exeDeleted && !view.record.kernelThread)
      .map((view) => ({
        rule: 'exe-deleted',
        severity: 'high',
        title: 'Process runs a deleted executable',
        detail: `${describe(view)} runs ${view.exe || 'an executable'}, which was deleted after it started.`,
        pids: [view.pid],
        falsePositives: 'A package upgrade replaces binaries of running services until they restart; check the package log for the same time.',
        nextStep: `Recover the executable from the clone (/proc/${view.pid}/exe) or the memory dump, and look at what it listens on.`,
      })),
};

const suspiciousListener: AnomalyRule = {
  id: 'suspicious-listener-port',
  version: 1,
  detect: (context) => {
    const drafts: FindingDraft[] = [];
    for (const [pid, sockets] of context.listeners) {
      for (const socket of sockets) {
        if (socket.localPort === null || !suspiciousPorts.has(socket.localPort)) continue;
        const view = context.byPid.get(pid);
        drafts.push({
          rule: 'suspicious-listener-port',
          severity: 'high',
          title: `Listener on port ${socket.localPort}`,
          detail: `${view ? describe(view) : `pid ${pid}`} listens on ${socket.protocol} port ${socket.localPort}.`,
          pids: [pid],
          falsePositives: 'Some lab and test tools use these ports; check whether the port is documented for this VM.',
          nextStep: 'Block the port at the host firewall for the production VM, and capture its traffic.',
        });
      }
    }
    return drafts;
  },
};

const webServerShell: AnomalyRule = {
  id: 'web-server-shell',
  version: 1,
  detect: (context) => {
    const drafts: FindingDraft[] = [];
    for (const view of context.processes) {
      // On busybox systems every applet's executable is busybox, so the name decides there.
      if (!shells.has(view.name) && !shells.has(baseName(view.exe))) continue;
      const parent = context.byPid.get(view.ppid);
      // A shell whose parent is itself a shell under the web server is the same event; report the top one.
      if (!parent || !webServers.has(parent.name)) continue;
      drafts.push({
        rule: 'web-server-shell',
        severity: 'high',
        title: 'Shell spawned by the web server',
        detail: `${parent.name} (pid ${parent.pid}) started ${view.name} (pid ${view.pid}): ${view.argv.join(' ')}`,
        pids: [view.pid],
        falsePositives: 'CGI scripts may call sh for simple tasks; a long-lived or interactive shell never is one.',
        nextStep: 'Find the request that started it in the web server log, and patch the script it reached.',
      });
    }
    return drafts;
  },
};

const fakeKernelThread: AnomalyRule = {
  id: 'fake-kernel-thread',
  version: 1,
  detect: (context) =>
    context.processes
      .filter((view) => !view.record.kernelThread && (/^\[.*\]$/.test(view.name) || /^\[.*\]$/.test(view.argv[0] ?? '')))
      .map((view) => ({
        rule: 'fake-kernel-thread',
        severity: 'high',
        title: 'User process named like a kernel thread',
        detail: `pid ${view.pid} calls itself "${view.argv[0] || view.name}" but is a user process (parent pid ${view.ppid}, executable ${view.exe || 'unknown'}).`,
        pids: [view.pid],
        falsePositives: 'None known: kernel threads have no executable and are children of kthreadd (pid 2).',
        nextStep: 'Copy its executable from the clone for analysis; look for the same name on other VMs.',
      })),
};

const ldPreload: AnomalyRule = {
  id: 'ld-preload',
  version: 1,
  detect: (context) =>
    context.processes.flatMap((view) => {
      const entry = view.environment.find((variable) => variable.startsWith('LD_PRELOAD='));
      if (!entry || entry === 'LD_PRELOAD=') return [];
      return [
        {
          rule: 'ld-preload',
          severity: 'medium' as const,
          title: 'LD_PRELOAD set in a process environment',
          detail: `${describe(view)} has ${entry}.`,
          pids: [view.pid],
          falsePositives: 'Profilers and memory debuggers use LD_PRELOAD; they are rare on servers.',
          nextStep: 'Check /etc/ld.so.preload and how the process was started; hash the library.',
        },
      ];
    }),
};

const bidiInArgv: AnomalyRule = {
  id: 'bidi-control-in-argv',
  version: 1,
  detect: (context) =>
    context.processes
      .filter((view) => view.argv.some((argument) => bidiControls.test(argument)) || bidiControls.test(view.exe))
      .map((view) => ({
        rule: 'bidi-control-in-argv',
        severity: 'low',
        title: 'Command line contains a bidirectional override',
        detail: `${describe(view)} has a right-to-left control character in its command line, which makes names read differently than they are.`,
        pids: [view.pid],
        falsePositives: 'Right-to-left languages in file names; an override inside an extension is almost never that.',
        nextStep: 'Read the file it names from the clone overlay.',
      })),
};

const ldSoPreload: AnomalyRule = {
  id: 'ld-so-preload',
  version: 1,
  detect: (context) => {
    const preload = context.system?.ldSoPreload;
    if (!preload?.present) return [];
    const entries = preloadEntries(guestStringText(preload.content));
    if (entries.length === 0) return [];
    const shown = entries.slice(0, 8).join(', ') + (entries.length > 8 ? ` and ${entries.length - 8} more` : '');
    return [
      {
        rule: 'ld-so-preload',
        severity: 'high',
        title: '/etc/ld.so.preload loads a library into every program',
        detail: `/etc/ld.so.preload names ${shown}${preload.truncated ? ' (the file was longer than what was read)' : ''}.`,
        pids: [],
        falsePositives: 'A few memory debuggers and hardening libraries are installed this way; the package that owns the library says which.',
        nextStep: "Hash the named libraries from the clone's disk overlay and check which package owns them; userland rootkits hide here.",
      },
    ];
  },
};

const kernelTainted: AnomalyRule = {
  id: 'kernel-tainted',
  version: 1,
  detect: (context) => {
    const kernel = context.system?.kernel;
    if (!kernel) return [];
    const suspicious = decodeKernelTaint(kernel.tainted).flags.filter((flag) => flag.suspicious);
    if (suspicious.length === 0) return [];
    const letters = new Set(suspicious.map((flag) => flag.letter));
    const modules = (context.system?.modules ?? [])
      .filter((module) => [...guestStringText(module.taints)].some((letter) => letters.has(letter)))
      .map((module) => guestStringText(module.name));
    const named = modules.length === 0 ? '' : ` Modules carrying those flags: ${modules.slice(0, 8).join(', ')}${modules.length > 8 ? ` and ${modules.length - 8} more` : ''}.`;
    return [
      {
        rule: 'kernel-tainted',
        severity: 'medium',
        title: 'Kernel runs code nobody vouched for',
        detail: `The kernel is tainted (${kernel.tainted}): ${suspicious.map((flag) => `${flag.letter} ${flag.meaning}`).join('; ')}.${named}`,
        pids: [],
        falsePositives: 'Vendor drivers built outside the kernel tree (storage, GPU, VirtualBox/VMware tools) set O or E; DKMS lists them.',
        nextStep: 'Compare each tainting module with the packages installed on the VM, and copy any unknown .ko file from the clone overlay for analysis.',
      },
    ];
  },
};

/** Every rule, in the order findings are reported within a severity. */
export const anomalyRules: readonly AnomalyRule[] = [
  exeInTempDir,
  exeDeleted,
  suspiciousListener,
  webServerShell,
  fakeKernelThread,
  ldPreload,
  ldSoPreload,
  kernelTainted,
  bidiInArgv,
];
