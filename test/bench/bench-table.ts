/** One measured row: what, the numbers, and the baseline it is compared with. */
export interface BenchRow {
  readonly name: string;
  readonly value: string;
  readonly baseline?: string;
  readonly note?: string;
}

/** A section of the benchmark report. */
export interface BenchSection {
  readonly title: string;
  readonly description: string;
  readonly rows: readonly BenchRow[];
}

/** Renders a section as a Markdown table. */
export function renderSection(section: BenchSection): string {
  const lines = [`## ${section.title}`, '', section.description, '', '| measure | result | baseline | note |', '|---|---|---|---|'];
  for (const row of section.rows) lines.push(`| ${row.name} | ${row.value} | ${row.baseline ?? ''} | ${row.note ?? ''} |`);
  return lines.join('\n') + '\n';
}

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Milliseconds since `start` (from `performance.now()`). */
export function elapsedMs(start: number): number {
  return performance.now() - start;
}
