#!/usr/bin/env -S node --max-semi-space-size=4
// Entry point installed as `crosswatch`. The TypeScript sources are compiled to dist/
// by the package's `prepare` script, which `npm ci` runs.
// The small semi-space keeps a long hunt's memory flat: what it allocates (records
// it parsed) dies young, and V8's default young generation would hold ~50 MB of it.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.error(`crosswatch: ${err && err.stack ? err.stack : String(err)}`);
    process.exitCode = 1;
  },
);
