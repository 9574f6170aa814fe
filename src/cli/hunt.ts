// `crosswatch hunt PATH...`: the batch detection over exported logs.
import { setFlagsFromString } from 'node:v8';
import { runBatch, type BatchResult } from '../hunt/batch.js';
import { expandInputs } from '../inputs/inputs.js';
import { writeNdjson, writeNdjsonFile } from '../outputs/ndjson.js';
import { terminalSafe } from './terminal.js';
import { loadDetections, loadSettings, type Settings, type SettingsFlags } from './options.js';
import { ConfigError } from '../detect/config.js';
import { huntSummary } from './summary.js';
import { colourFor } from './terminal.js';
import { OutputError, prepareOutputFile } from './output.js';
import type { Io } from './io.js';
import { dropEarlyDecodeWorker } from '../hunt/early-worker.js';

export interface HuntFlags extends SettingsFlags {
  threads?: string;
  fullScan?: boolean;
  format?: 'ndjson' | 'table';
  out?: string;
  strict?: boolean;
  progress?: boolean;
  quiet?: boolean;
}

/**
 * Progress bar over bytes, on stderr, only on a terminal and only for inputs
 * worth it. The total is what the passes planned so far will read: it grows
 * when a fast hunt needs another pass.
 */
async function progressBar(io: Io, inputBytes: number, enabled: boolean): Promise<{ update(n: number, total: number): void; stop(): void }> {
  if (!enabled || !io.stderr.isTTY || inputBytes < 8 * 1024 * 1024) return { update: () => {}, stop: () => {} };
  // Loaded only when shown, as the table below: every module costs start-up time on every hunt.
  // cli-progress is CommonJS: its exports object is the module's default under
  // Node's ESM loader and in the esbuild bundle alike, while named exports exist
  // only in the former (bin/crosswatch.js runs the bundle: test/cli-tty.test.ts).
  const cliProgress = (await import('cli-progress')) as unknown as { default: typeof import('cli-progress') };
  const { SingleBar } = cliProgress.default;
  const bar = new SingleBar({
    stream: io.stderr as NodeJS.WritableStream as never,
    format: 'hunting [{bar}] {percentage}% | {value_mb}/{total_mb} MB | ETA {eta}s',
    hideCursor: true,
    clearOnComplete: true,
  });
  let total = inputBytes;
  bar.start(total, 0, { value_mb: '0', total_mb: (total / 1e6).toFixed(0) });
  let last = 0;
  return {
    update: (n, planned) => {
      if (planned !== total) {
        total = planned;
        bar.setTotal(total);
        bar.update({ total_mb: (total / 1e6).toFixed(0) });
      }
      if (n - last < total / 500 && n < total) return;
      last = n;
      bar.update(Math.min(n, total), { value_mb: (n / 1e6).toFixed(0) });
    },
    stop: () => bar.stop(),
  };
}

export async function runHunt(paths: string[], flags: HuntFlags, io: Io, settings: Settings): Promise<BatchResult> {
  let threads: number | undefined;
  if (flags.threads !== undefined) {
    threads = Number(flags.threads);
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new ConfigError('--threads', `expected a whole number from 1 to 64, got ${JSON.stringify(flags.threads)}`);
  }
  const { rules, general } = loadDetections(flags, settings, (line) => io.stderr.write(`crosswatch: ${terminalSafe(line, false)}\n`));
  // Before any reading: a folder that cannot be made is named now, not after a long hunt.
  if (flags.out) await prepareOutputFile(flags.out, '--out');
  const inputs = await expandInputs(paths, io.stdin);
  const started = Date.now();
  try {
    const bar = await progressBar(io, inputs.files.reduce((n, f) => n + f.size, 0), flags.progress !== false);
    let result: BatchResult;
    try {
      result = await runBatch(inputs.files, {
        ...(threads !== undefined ? { threads } : {}),
        ...(flags.fullScan ? { fastScan: false } : {}),
        config: settings.config,
        rules,
        general,
        decode: settings.decode,
        onProgress: (n, planned) => bar.update(n, planned),
      });
    } finally {
      bar.stop();
    }
    const format = flags.format ?? (io.stdout.isTTY && !flags.out ? 'table' : 'ndjson');
    if (flags.out) {
      try {
        await writeNdjsonFile(result.eachAlert(), flags.out);
      } catch (err) {
        throw new OutputError('--out', flags.out, err);
      }
    }
    if (!flags.out || flags.format) {
      if (format === 'table') io.stdout.write((await import('../outputs/table.js')).alertsTable([...result.alerts, ...result.sigmaAlerts]));
      else if (!flags.out) await writeNdjson(result.eachAlert(), io.stdout as never);
    }
    if (!flags.quiet) {
      const names = new Map([...rules.map((r) => [r.id as string, r.name] as const), ...[...(general?.meta.values() ?? [])].map((m) => [m.id, m.name] as const)]);
      io.stderr.write(huntSummary(result, Date.now() - started, names, { skipped: inputs.skipped, colour: colourFor(io.stderr) }));
    }
    return result;
  } finally {
    await inputs.cleanup();
  }
}

/**
 * A hunt process lets its old generation grow by half, not V8's default (up to
 * 4x for a fast-growing heap), before the next full collection: what a hunt
 * promotes is mostly garbage by then (events of alerted IPs, handed to the
 * correlator, which keeps a compact copy). Measured at 1M records, 50 % alerted
 * share: peak RSS 261-285 MB -> 218-234 MB, time within the noise; 5M: 726 ->
 * 477 MB. V8 reads the setting at each collection, so it can be set here, for
 * hunt alone: `serve` keeps the default (there it cost 14 % of the ingest rate).
 */
const HUNT_HEAP_GROWING_PERCENT = 50;

/**
 * A hunt's optimized code is made without inlining. TurboFan compiles on V8's
 * background threads, which share the cores with the hunt's own threads, and
 * what it inlines makes each compilation several times bigger: at 1M records,
 * ~1.5-2 s of a hunt's ~5.5 s of CPU was compiling (per-thread CPU from /proc;
 * --no-concurrent-recompilation moved it onto the JavaScript threads), twice
 * over, once per thread's isolate. Without inlining, interleaved runs on this
 * 2-core machine (docs/performance.md, twelfth round): 1M mixed / 10 %, median
 * 2.32 s against 2.84 (fastest 1.75 against 2.07); 1M NDJSON / 50 %, 3.07 against
 * 3.65; 5M mixed / 50 %, 13.75-15.49 s against 15.41-16.62. V8 reads the flag at
 * each compilation, so it is set here, for hunt alone: `serve` runs for hours,
 * where compiling is a one-time cost and inlined code pays.
 */
const HUNT_NO_INLINING = '--no-turbo-inlining';

/**
 * And less of it is made: a function is optimized only after 4x V8's default
 * budget of bytecode run (--interrupt-budget, 66 KB: 264 KB). With two isolates
 * each compiling its own copy, TurboFan still took ~0.7-0.8 s of a 1M-record hunt's
 * ~3.8 s of CPU (background threads' CPU from /proc, and what
 * --no-concurrent-recompilation moved onto the hunt's threads); most of the ~500
 * functions it optimized run too little for it to pay back in a 2 s run. With
 * the larger budget the hot loops are still optimized, the lukewarm functions
 * stay in the baseline tiers. Interleaved runs (docs/performance.md, nineteenth
 * round), 1M / 50 %: NDJSON 1.905 -> 1.840 s median, vendor formats 2.285 ->
 * 2.175 s (set here: 2.215 -> 2.150 s, 1.885 -> 1.830 s); CPU 3-6 % less. For
 * hunt alone, as the flag above.
 */
const HUNT_INTERRUPT_BUDGET = '--interrupt-budget=270336';
/**
 * V8 12 (Node 22 and later) counts calls to tier up instead (with its Maglev mid
 * tier), and has no such flag: V8 would print an error for it. There the
 * default stands (not measured with another).
 */
const V8_HAS_INTERRUPT_BUDGET = Number(process.versions.v8.split('.')[0]) <= 11;

export async function huntCommand(paths: string[], flags: HuntFlags, io: Io): Promise<number> {
  setFlagsFromString(`--heap-growing-percent=${HUNT_HEAP_GROWING_PERCENT}`);
  setFlagsFromString(HUNT_NO_INLINING);
  if (V8_HAS_INTERRUPT_BUDGET) setFlagsFromString(HUNT_INTERRUPT_BUDGET);
  let result: BatchResult;
  try {
    result = await runHunt(paths, flags, io, loadSettings(flags));
  } finally {
    // (A decode worker bin/crosswatch.js started that this hunt did not take: it stopped early, or ran on one thread.)
    dropEarlyDecodeWorker();
  }
  // A damaged .gz was read up to the damage and its alerts written; the rest of it could not be read.
  const damaged = result.counters.rejects.get('invalid-compression') ?? 0;
  if (damaged > 0) {
    io.stderr.write(`crosswatch: ${damaged} compressed input(s) damaged; read up to the damage (see above)\n`);
    return 2;
  }
  if (flags.strict && (result.counters.totalRejected > 0 || result.counters.rejects.size > 0)) {
    io.stderr.write(`crosswatch: --strict: ${result.counters.totalRejected} record(s) rejected\n`);
    return 2;
  }
  return 0;
}
