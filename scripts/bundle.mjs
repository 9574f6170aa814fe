// Bundles the compiled CLI (dist/) and its threads' entry points into
// dist/bundle/, which bin/crosswatch.js runs. Why: Node loads ~150 ES modules for
// a hunt (ours, yaml, commander, csv-parse, …), one file at a time, before it
// reads a byte of input: ~100 ms on the main thread and again on each worker.
// A few bundled files load in about half that.
//
// - Each thread's entry point is its own file, beside the shared chunks, so the
//   paths the code resolves from import.meta.url ('./decode-worker.js',
//   '../../rules/', '../../dist/scan-kernel.wasm') mean the same in dist/bundle/
//   as in dist/<folder>/.
// - better-sqlite3 (native), fastify, @fastify/cookie, @fastify/rate-limit and prom-client (serve only, loaded on
//   demand) stay as packages.
// - Some packages are CommonJS and call require(): the banner gives the ES module
//   output a require of its own.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const outdir = 'dist/bundle';
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: ['dist/cli/main.js', 'dist/hunt/early-worker.js', 'dist/hunt/decode-worker.js', 'dist/http/ingest-worker.js', 'dist/store/checkpointer.js'],
  outdir,
  entryNames: '[name]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'fastify', '@fastify/cookie', '@fastify/rate-limit', 'prom-client'],
  banner: { js: "import { createRequire as __crosswatchRequire } from 'node:module'; const require = __crosswatchRequire(import.meta.url);" },
  logLevel: 'warning',
});
