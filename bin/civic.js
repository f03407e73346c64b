#!/usr/bin/env node
// The `civic` command: the built CLI entry (`npm run build` makes it).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'out', 'main', 'cli.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('civic: not built yet. Run `npm run build` in ' + path.dirname(__dirname) + '\n');
  process.exit(2);
}
require(entry);
