/**
 * The page a browser gets for a sign-in link that was used already.
 *
 * Static text, no script or style, so the strict CSP holds and nothing from the request is echoed.
 */
export const usedLinkPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Civic Workbench: this link was already used</title></head>
<body>
<h1>This sign-in link was already used</h1>
<p>The URL that <code>civic serve</code> prints carries a one-time token. It was exchanged for a
session in the browser that opened it first, and it does not work a second time.</p>
<p>To open Civic Workbench here, get a new URL: press Enter in the terminal where
<code>civic serve</code> runs (it prints a fresh one-time URL), or stop it and start it again.</p>
</body>
</html>
`;
