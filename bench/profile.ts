// `npm run bench:profile -- <inputs…>`: one crosswatch hunt under V8's CPU
// profiler (every thread), and where its CPU went: by phase (bench/profile-phases.ts)
// summed over the threads, the functions with the most self time, and each
// thread's timeline. The figures behind docs/performance.md's "where the time
// goes", reproducible. Profiling slows the hunt by ~10-20 %; the shares hold.
// On Linux it also gives each OS thread's CPU (bench/thread-cpu.ts): the
// profiles see only the JavaScript threads, not V8's compiling and collecting
// beside them.
//   npm run bench:profile -- bench/data/n1000000-s1-ndjson-share0p2/logs
//   options: --bucket MS (timeline step, 250), --top N (functions, 25),
//            --crosswatch PATH/bin/crosswatch.js (another build), --keep DIR (keep the profiles there)
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { OTHER, PHASES, sumMaps, threadPhases, wasmExportNames, type CpuProfile } from './profile-phases.js';
import { runWithThreadCpu, type ThreadCpu } from './thread-cpu.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function options(argv: string[]): { inputs: string[]; bucketMs: number; top: number; bin: string; keep: string | null } {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { bucket: { type: 'string' }, top: { type: 'string' }, crosswatch: { type: 'string' }, keep: { type: 'string' } },
  });
  const o = {
    inputs: positionals, bucketMs: Number(values.bucket ?? 250), top: Number(values.top ?? 25),
    bin: values.crosswatch ? resolve(values.crosswatch) : join(ROOT, 'bin', 'crosswatch.js'), keep: values.keep ? resolve(values.keep) : null,
  };
  if (o.inputs.length === 0) throw new Error('usage: npm run bench:profile -- <files or folders…> [--bucket MS] [--top N] [--crosswatch BIN] [--keep DIR]');
  if (!(o.bucketMs > 0) || !(o.top > 0)) throw new Error('--bucket and --top take positive numbers');
  return o;
}

const s = (us: number): string => (us / 1e6).toFixed(2);

/** The OS threads' CPU, the main thread (whose id is the process's) first. */
function osThreadLines(threads: ThreadCpu[], pid: number | undefined, workers: number): string[] {
  if (threads.length === 0) return [];
  const main = threads.find((t) => t.tid === pid);
  const rest = threads.filter((t) => t !== main && t.cpuS > 0);
  const all = threads.reduce((n, t) => n + t.cpuS, 0);
  return [
    '',
    `CPU by OS thread (/proc, sampled every 50 ms): ${all.toFixed(2)} s in all`,
    `  main thread ${main ? main.cpuS.toFixed(2) : '?'} s; the others, busiest first: ${rest.map((t) => t.cpuS.toFixed(2)).join(', ') || 'none'} s`,
    `  (the busiest ${workers} of the others: the decode worker${workers === 1 ? '' : 's'}, whose JavaScript the profiles sample;`,
    '   the rest: V8\'s platform threads — TurboFan compiling, the garbage collector\'s helpers — and libuv\'s)',
  ];
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const dir = o.keep ?? mkdtempSync(join(tmpdir(), 'crosswatch-profile-'));
  try {
    const started = process.hrtime.bigint();
    // The flags bin/crosswatch.js's shebang gives, as the bench runs it.
    const run = await runWithThreadCpu(process.execPath, [
      '--max-semi-space-size=4', '--cpu-prof', `--cpu-prof-dir=${dir}`, o.bin,
      'hunt', ...o.inputs, '--format', 'ndjson', '--quiet', '--no-progress', '--out', join(dir, 'alerts.ndjson'),
    ], { stdio: ['ignore', 'inherit', 'inherit'] });
    const wallS = Number(process.hrtime.bigint() - started) / 1e9;
    if (run.status !== 0) throw new Error(`the hunt failed (exit ${run.status ?? run.signal ?? '?'})`);
    const wasm = wasmExportNames(readFileSync(join(dirname(o.bin), '..', 'dist', 'scan-kernel.wasm')));
    const profiles = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile);
    const origin = Math.min(...profiles.map((p) => p.startTime));
    // The main thread's profile starts first.
    profiles.sort((a, b) => a.startTime - b.startTime);
    const threads = profiles.map((p) => threadPhases(p, wasm, origin, o.bucketMs));
    const byPhase = sumMaps(threads.map((t) => t.byPhase));
    const total = [...byPhase.values()].reduce((a, b) => a + b, 0);

    const out: string[] = [];
    out.push(`crosswatch hunt ${o.inputs.join(' ')} under --cpu-prof: ${wallS.toFixed(2)} s wall, ${s(total)} s of CPU over ${threads.length} thread(s)`);
    threads.forEach((t, i) => out.push(`  ${i === 0 ? 'main    ' : `worker ${i}`}  ${(t.startMs / 1000).toFixed(2)}–${(t.endMs / 1000).toFixed(2)} s`));
    out.push(...osThreadLines(run.threads, run.pid, threads.length - 1));
    out.push('', 'CPU by phase (each sample to the innermost frame that names one):');
    const names = [...PHASES.map(([n]) => n), OTHER];
    const what = new Map(PHASES.map(([n, , w]) => [n, w]));
    for (const n of names.filter((x) => byPhase.has(x)).sort((a, b) => byPhase.get(b)! - byPhase.get(a)!)) {
      const us = byPhase.get(n)!;
      out.push(`  ${n.padEnd(11)} ${s(us).padStart(7)} s  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${what.get(n) ?? 'everything else'}`);
    }
    out.push('', `functions with the most self time (WebAssembly by export):`);
    const self = [...sumMaps(threads.map((t) => t.bySelf))].sort((a, b) => b[1] - a[1]).slice(0, o.top);
    for (const [name, us] of self) out.push(`  ${s(us).padStart(7)} s  ${name}`);
    for (const [i, t] of threads.entries()) {
      out.push('', `timeline, ${i === 0 ? 'main thread' : `worker ${i}`} (ms of CPU per ${o.bucketMs} ms, by phase):`);
      t.timeline.forEach((bucket, b) => {
        if (bucket.size === 0) return;
        const parts = [...bucket].sort((x, y) => y[1] - x[1]).filter(([, us]) => us >= 1000).map(([n, us]) => `${n} ${Math.round(us / 1000)}`);
        out.push(`  ${((b * o.bucketMs) / 1000).toFixed(2).padStart(6)} s  ${parts.join(', ')}`);
      });
    }
    console.log(out.join('\n'));
  } finally {
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:profile: ${(err as Error).message}`);
  process.exitCode = 1;
});
