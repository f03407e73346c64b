import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSection, type BenchSection } from './bench-table';
import { benchBundleVerify } from './bundle-verify.bench';
import { benchClone } from './clone.bench';
import { replaceSection } from './bench-doc';
import { benchLoadDriver } from './load-driver.bench';
import { machineFacts } from './machine';
import { benchReview } from './review.bench';
import { benchTwinImpact } from './twin-impact.bench';

// `npm run bench`: runs every benchmark and rewrites docs/BENCHMARKS.md with the machine named.
// `npm run bench -- --only NAME` runs one (names: bundle, review, clone, load, twin); add `--write` to put
// its section in docs/BENCHMARKS.md in place, leaving the other sections as they are.

const benches: Record<string, () => Promise<BenchSection>> = {
  bundle: () => benchBundleVerify(),
  clone: () => benchClone(),
  load: () => benchLoadDriver(),
  review: () => benchReview(),
  twin: () => benchTwinImpact(),
};

const reportPath = join(__dirname, '..', '..', 'docs', 'BENCHMARKS.md');

async function main(): Promise<void> {
  const onlyIndex = process.argv.indexOf('--only');
  const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : undefined;
  const sections: BenchSection[] = [];
  for (const [name, bench] of Object.entries(benches)) {
    if (only && only !== name) continue;
    process.stderr.write(`bench: ${name}...\n`);
    const section = await bench();
    process.stderr.write(renderSection(section) + '\n');
    sections.push(section);
  }
  if (only) {
    if (process.argv.includes('--write')) for (const section of sections) replaceSection(reportPath, section);
    return;
  }
  const machine = machineFacts();
  const report = [
    '# Benchmarks',
    '',
    'Written by `npm run bench`. Speed is measured here, never asserted in tests.',
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; Node ${machine.node}; ${machine.qemu}; accelerator ${machine.kvm}.`,
    `Run: ${new Date().toISOString()}.`,
    '',
    ...sections.map(renderSection),
  ].join('\n');
  writeFileSync(reportPath, report);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
