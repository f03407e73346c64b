/**
 * The Content Security Policy of the page, as renderer/index.html carries it in a meta tag.
 *
 * A unit test keeps the meta tag equal to this text.
 */
export const documentContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * The policy main sends as a header (Electron window and web mode).
 *
 * The same as the document's plus `frame-ancestors`, which browsers honour only in a header.
 */
export const contentSecurityPolicy = `${documentContentSecurityPolicy}; frame-ancestors 'none'`;
