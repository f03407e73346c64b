#!/usr/bin/env node
// The `civic` command: runs the built CLI (`npm run build` makes out/main/cli.js).
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const entry = path.join(__dirname, '..', 'out', 'main', 'cli.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('civic: not built yet. Run `npm run build` in ' + path.dirname(__dirname) + '\n');
  process.exit(2);
}
const { runCli, processIo } = require(entry);
runCli(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write('civic: ' + (error && error.message ? error.message : String(error)) + '\n');
    process.exitCode = 1;
  },
);
