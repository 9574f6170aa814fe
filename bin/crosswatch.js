#!/usr/bin/env -S node --max-semi-space-size=4
// Entry point installed as `crosswatch`. The TypeScript sources are compiled to dist/
// and bundled into dist/bundle/ (scripts/bundle.mjs: fewer files to load at start-up)
// by the package's `prepare` script (scripts/prepare.mjs: only when dist/ is older than
// its sources), which `npm ci` runs.
// A small young generation keeps a long hunt's memory flat: what it allocates
// (records it parsed) dies young. 4 MB semi-spaces, not V8's 16: at 5M records and
// 50 % of them from alerted IPs the peak is ~225-238 MB, against 229-259 MB at 8
// (docs/performance.md, eleventh round). (In November 8 won over 4: events then
// lived as objects and outlived two scavenges; they travel as typed-array packs now.)
const args = process.argv.slice(2);

// A hunt big enough for several threads has its decode worker start now, to
// compile its code on another core while this thread loads the CLI
// (src/hunt/early-worker.ts). Loaded first, and apart from the CLI, for that.
if (args[0] === 'hunt') {
  const early = await import('../dist/bundle/early-worker.js');
  if (early.earlyWorkerPays(args.slice(1))) early.startEarlyDecodeWorker();
}

const { main } = await import('../dist/bundle/main.js');
main(args).then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.error(`crosswatch: ${err && err.stack ? err.stack : String(err)}`);
    process.exitCode = 1;
  },
);
