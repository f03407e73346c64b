import { describe, expect, it } from 'vitest';
import { labVm, readLabInfo, runInGuest } from '../../support/lab';

/** One `sadf -d` section: the header's column names and the rows under it, split on `;`. */
interface SadfSection {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

function parseSadf(output: string): readonly SadfSection[] {
  const sections: { columns: string[]; rows: string[][] }[] = [];
  for (const line of output.split('\n').filter(Boolean)) {
    if (line.startsWith('# ')) sections.push({ columns: line.slice(2).split(';'), rows: [] });
    else sections.at(-1)?.rows.push(line.split(';'));
  }
  return sections;
}

function column(section: SadfSection, name: string): readonly number[] {
  const index = section.columns.indexOf(name);
  return section.rows.map((row) => Number(row[index]));
}

describe("sysstat in the guest image (the guest's own monitoring agent)", () => {
  it('is not running, and sadc then sadf -d give CSV with CPU and memory columns', async () => {
    const web = labVm(await readLabInfo(), 'lab-web');
    expect((await runInGuest(web, 'pidof sadc')).exitCode).not.toBe(0);

    const run = await runInGuest(web, '/usr/lib/sysstat/sadc 1 4 /tmp/sa-test.data && sadf -d /tmp/sa-test.data -- -u -r -q; status=$?; rm -f /tmp/sa-test.data; exit $status', 90_000);
    expect(run.exitCode, run.stderr).toBe(0);
    const sections = parseSadf(run.stdout);

    const cpu = sections.find((section) => section.columns.includes('%idle'));
    expect(cpu?.columns).toEqual(['hostname', 'interval', 'timestamp', 'CPU', '%user', '%nice', '%system', '%iowait', '%steal', '%idle']);
    if (!cpu) return;
    // Four samples give three intervals; every row's shares add up to 100 %.
    expect(cpu.rows).toHaveLength(3);
    for (const row of cpu.rows) {
      const shares = row.slice(4).map(Number);
      expect(shares.every(Number.isFinite), row.join(';')).toBe(true);
      expect(Math.abs(shares.reduce((sum, share) => sum + share, 0) - 100)).toBeLessThan(0.5);
    }

    const memory = sections.find((section) => section.columns.includes('kbmemfree'));
    expect(memory?.columns).toEqual(expect.arrayContaining(['kbmemfree', 'kbavail', 'kbmemused', '%memused', 'kbcached']));
    if (!memory) return;
    expect(memory.rows).toHaveLength(3);
    // The guest has 256 MiB: free plus used stays below that.
    const total = column(memory, 'kbmemfree').map((free, index) => free + (column(memory, 'kbmemused')[index] ?? 0));
    for (const kib of total) expect(kib).toBeGreaterThan(100 * 1024);
    for (const kib of total) expect(kib).toBeLessThanOrEqual(256 * 1024);

    const load = sections.find((section) => section.columns.includes('ldavg-1'));
    expect(load?.rows).toHaveLength(3);
  });
});
