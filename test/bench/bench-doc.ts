import { readFileSync, writeFileSync } from 'node:fs';
import { renderSection, type BenchSection } from './bench-table';

/**
 * Puts one section into a benchmark report file, in place of the section with the same title.
 *
 * A section runs from its `## ` heading to the next one; a section not there yet is appended. Used by
 * `npm run bench -- --only NAME --write`, so one bench can be rerun without rerunning the long ones.
 */
export function replaceSection(path: string, section: BenchSection): void {
  const text = readFileSync(path, 'utf8');
  const rendered = renderSection(section);
  const heading = `## ${section.title}\n`;
  const start = text.indexOf(heading);
  if (start < 0) {
    writeFileSync(path, text.replace(/\n*$/, '\n\n') + rendered);
    return;
  }
  const next = text.indexOf('\n## ', start + heading.length);
  writeFileSync(path, text.slice(0, start) + rendered + (next < 0 ? '' : text.slice(next)));
}
