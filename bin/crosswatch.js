#!/usr/bin/env node
// Entry point installed as `crosswatch`. The TypeScript sources are compiled to dist/
// by the package's `prepare` script, which `npm ci` runs.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.error(`crosswatch: ${err && err.stack ? err.stack : String(err)}`);
    process.exitCode = 1;
  },
);
