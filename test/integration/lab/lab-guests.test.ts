import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { labVm, readLabInfo, runInGuest, type LabInfo, type LabVmInfo } from '../../support/lab';

/** The survey script (test/integration/lab/guest-survey.sh), run inside a guest through qemu-ga. */
const SURVEY = readFileSync(join(__dirname, 'guest-survey.sh'), 'utf8');

interface Finding {
  readonly kind: string;
  readonly pid: number;
  readonly detail: string;
}

async function survey(vm: LabVmInfo): Promise<readonly Finding[]> {
  const result = await runInGuest(vm, SURVEY, 60_000);
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [kind = '', pid = '0', ...detail] = line.split(' ');
      return { kind, pid: Number(pid), detail: detail.join(' ') };
    });
}

function kinds(findings: readonly Finding[]): Set<string> {
  return new Set(findings.map((finding) => finding.kind));
}

/** Depth of the deepest process below PID 1 (init's children are depth 1). */
function deepestTree(findings: readonly Finding[]): number {
  const parent = new Map<number, number>();
  for (const finding of findings.filter((entry) => entry.kind === 'process')) {
    parent.set(finding.pid, Number(/ppid=(\d+)/.exec(finding.detail)?.[1] ?? 0));
  }
  let deepest = 0;
  for (const pid of parent.keys()) {
    let depth = 0;
    let current = pid;
    while (current !== 1 && parent.has(current) && depth < 64) {
      current = parent.get(current) ?? 0;
      depth += 1;
    }
    if (current === 1) deepest = Math.max(deepest, depth);
  }
  return deepest;
}

const ODDITIES = ['deleted-exe', 'tmp-exe', 'ld-preload', 'httpd-shell', 'fake-kernel-name', 'listener-31337'];

let lab: LabInfo;
let compromised: readonly Finding[];
let clean: readonly Finding[];

beforeAll(async () => {
  lab = await readLabInfo();
  compromised = await survey(labVm(lab, 'lab-web'));
  clean = await survey(labVm(lab, 'lab-db'));
});

describe('the workload both variants run', () => {
  it.each([
    ['compromised lab-web', () => compromised],
    ['clean lab-db', () => clean],
  ])('%s runs httpd on :80, the daemon on :7070, a 4-thread worker and a tree 4 deep', (_name, findings) => {
    const seen = kinds(findings());
    expect(seen).toContain('listener-80');
    expect(seen).toContain('listener-7070');
    const worker = findings().find((finding) => finding.kind === 'multi-threaded' && finding.detail.startsWith('civic-worker '));
    expect(worker?.detail).toMatch(/threads=([5-9]|\d\d)/);
    expect(deepestTree(findings())).toBeGreaterThanOrEqual(4);
    expect(findings().some((finding) => finding.kind === 'process' && finding.detail.endsWith('comm=httpd'))).toBe(true);
  });
});

describe('the compromised variant (lab-web)', () => {
  it('has a process whose executable was deleted', () => {
    expect(compromised.find((finding) => finding.kind === 'deleted-exe')?.detail).toMatch(/\(deleted\)$/);
  });

  it('has a process running from /tmp', () => {
    expect(compromised.find((finding) => finding.kind === 'tmp-exe')?.detail).toMatch(/^\/tmp\//);
  });

  it('has LD_PRELOAD in a process environment', () => {
    expect(kinds(compromised)).toContain('ld-preload');
  });

  it('listens on port 31337', () => {
    expect(kinds(compromised)).toContain('listener-31337');
  });

  it('has a shell whose parent is the web server', () => {
    expect(kinds(compromised)).toContain('httpd-shell');
  });

  it('has a user process calling itself [kworker/0:2]', () => {
    expect(compromised.find((finding) => finding.kind === 'fake-kernel-name')?.detail).toBe('[kworker/0:2]');
  });
});

describe('the clean variant (lab-db)', () => {
  it('has none of the planted oddities', () => {
    const seen = kinds(clean);
    expect(ODDITIES.filter((oddity) => seen.has(oddity))).toEqual([]);
  });
});
