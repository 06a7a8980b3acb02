#!/usr/bin/env node
'use strict';
// The labforge command: the compiled CLI, bundled into dist/bundle/ (npm run build; see scripts/bundle.js) and
// loaded by ./bundle.js.
let cli;
try {
  cli = require('./bundle.js').loadBundle().exports;
} catch (e) {
  console.error(`labforge: ${e.message}`);
  process.exit(1);
}
cli.main(process.argv).then((code) => {
  process.exitCode = code;
});
