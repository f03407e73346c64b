/**
 * The one Content Security Policy, for the Electron window (header) and the web mode (header).
 *
 * renderer/index.html carries the same text in a meta tag; a unit test keeps the two equal.
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
