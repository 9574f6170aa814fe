// `npm run bench:cold -- DATASET_LOGS [--runs 4] [--threads N]`: the same hunt run
// several times in one process, to show what a hunt pays for code that is not
// yet warm. V8 runs a function's first calls in its interpreter and baseline
// tiers and optimizes it only once it is hot; a hunt's decode worker is started
// afresh for each hunt, but from the second run on the main thread's code is
// warm. The gap between the first run and the later ones (with --threads 1, the
// one thread's whole cold cost) is what docs/performance.md's eleventh round
// measures. Runs the built bundle (npm run build) with the entry point's Node
// flags; each run's alerts must be the same.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { shebangFlags } from './serve-bench.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'crosswatch.js');
const MAIN = join(ROOT, 'dist', 'bundle', 'main.js');

const { values, positionals } = parseArgs({
  args: process.argv.slice(2), allowPositionals: true,
  options: { runs: { type: 'string' }, threads: { type: 'string' } },
});
const logs = positionals[0];
if (positionals.length !== 1 || logs === undefined) throw new Error('usage: npm run bench:cold -- DATASET_LOGS [--runs 4] [--threads N]');
if (!existsSync(logs)) throw new Error(`no such folder: ${logs}`);
if (!existsSync(MAIN)) throw new Error('no dist/bundle/main.js: npm run build first');
const runs = Number(values.runs ?? 4);
if (!Number.isInteger(runs) || runs < 2) throw new Error('--runs takes a whole number of at least 2');
const threads = values.threads === undefined ? [] : ['--threads', values.threads];

const base = join(tmpdir(), `crosswatch-cold-${process.pid}`);
const out = (i: number): string => `${base}-${i}.ndjson`;
// The child: the CLI's main() called `runs` times, each run's wall and process CPU (all threads) as a JSON line.
const child = `
const { main } = await import(${JSON.stringify(pathToFileURL(MAIN).href)});
for (let i = 0; i < ${runs}; i++) {
  const t = process.hrtime.bigint();
  const u = process.cpuUsage();
  const code = await main(['hunt', ${JSON.stringify(resolve(logs))}, '--format', 'ndjson', '--quiet', '--no-progress', ...${JSON.stringify(threads)}, '--out', ${JSON.stringify(base)} + '-' + i + '.ndjson']);
  const c = process.cpuUsage(u);
  console.log(JSON.stringify({ code, wall: Number(process.hrtime.bigint() - t) / 1e9, cpu: (c.user + c.system) / 1e6 }));
}`;
// (A file, not --eval: the decode worker inherits the process's Node options, and --input-type with them.)
const script = `${base}.mjs`;
writeFileSync(script, child);
const r = spawnSync(process.execPath, [...shebangFlags(BIN), script], { encoding: 'utf8', maxBuffer: 1 << 20 });
rmSync(script, { force: true });
if (r.status !== 0) throw new Error(`the hunts failed (${r.status}): ${r.stderr}`);
const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { code: number; wall: number; cpu: number });
const digest = (i: number): string => {
  // Alerts without their @timestamp (the time of the run), in order of their text.
  const lines = readFileSync(out(i), 'utf8').split('\n').filter(Boolean).map((l) => {
    const a = JSON.parse(l) as Record<string, unknown>;
    delete a['@timestamp'];
    return JSON.stringify(a);
  });
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex').slice(0, 12);
};
const digests = rows.map((_, i) => digest(i));
for (let i = 0; i < runs; i++) rmSync(out(i), { force: true });
console.log(`crosswatch hunt ${logs}${threads.length > 0 ? ` --threads ${values.threads}` : ''}, ${runs} runs in one process (Node flags: ${shebangFlags(BIN).join(' ') || 'none'}):`);
rows.forEach((x, i) => console.log(`  run ${i + 1}: ${x.wall.toFixed(2)} s wall, ${x.cpu.toFixed(2)} s CPU (all threads), exit ${x.code}, alerts ${digests[i]}`));
const later = rows.slice(1);
const mean = (f: (x: { wall: number; cpu: number }) => number): number => later.reduce((s, x) => s + f(x), 0) / later.length;
console.log(`  first run over the later ones' mean: +${(rows[0]!.wall - mean((x) => x.wall)).toFixed(2)} s wall, +${(rows[0]!.cpu - mean((x) => x.cpu)).toFixed(2)} s CPU`);
if (new Set(digests).size !== 1) {
  console.error('the runs gave different alerts');
  process.exitCode = 1;
}
