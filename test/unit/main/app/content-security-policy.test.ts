import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, documentContentSecurityPolicy } from '../../../../main/app/content-security-policy';

describe('content security policy', () => {
  it('is the same in renderer/index.html as in the headers main sends, less frame-ancestors', () => {
    const html = readFileSync(join(__dirname, '../../../../renderer/index.html'), 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
    expect(meta?.[1]).toBe(documentContentSecurityPolicy);
    expect(contentSecurityPolicy.startsWith(documentContentSecurityPolicy)).toBe(true);
  });

  it('allows no inline or remote script, no eval and no framing', () => {
    expect(contentSecurityPolicy).toContain("default-src 'none'");
    expect(contentSecurityPolicy).toContain("script-src 'self'");
    expect(contentSecurityPolicy).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(contentSecurityPolicy).toContain("frame-ancestors 'none'");
  });

  it('leaves no inline script or style in the page', () => {
    const html = readFileSync(join(__dirname, '../../../../renderer/index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });
});
