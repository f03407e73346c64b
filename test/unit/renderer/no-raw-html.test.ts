import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentContentSecurityPolicy } from '../../../main/app/content-security-policy';

const sourceRoot = join(__dirname, '../../../renderer');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(tsx?|html)$/.test(entry.name) ? [path] : [];
  });
}

describe('renderer sources', () => {
  const files = sourceFiles(sourceRoot);

  it('are found', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('never write raw HTML, where guest text could become markup', () => {
    const offenders = files.filter((file) => /dangerouslySetInnerHTML|\.innerHTML\s*=|outerHTML|insertAdjacentHTML|document\.write/.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('keep scripts and styles out of index.html, under the strict CSP', () => {
    const html = readFileSync(join(sourceRoot, 'index.html'), 'utf8');
    // frame-ancestors is honoured only in a header, so main sends it there and the meta omits it.
    expect(html).toContain(`content="${documentContentSecurityPolicy}"`);
    expect(documentContentSecurityPolicy).toContain("script-src 'self'");
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script type="module" src="./src/main.tsx">']);
  });
});
