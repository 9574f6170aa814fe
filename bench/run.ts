// `npm run bench`: crosswatch hunt against DuckDB SQL, two floors and jq, side by
// side in one run on the same generated files; then how hunt's time and memory grow
// with the record count and with the number of alerted IPs; then `serve` over HTTP
// ingest with a soak (bench/serve-bench.ts). See docs/performance.md, docs/serve.md.
//   npm run bench                                   1M and 5M records, 3 timed runs each
//   npm run bench -- --sizes 200000,1000000 --runs 3
//   npm run bench -- --quick                        50k records, 1 run, a 20 s soak: a smoke check
//   options: --seed S (1), --alerted 10,1000,100000 | none, --scale-size N (smallest size),
//            --tools hunt,duckdb-untuned,duckdb-tuned,floor-bytes,floor-parse,jq, --regen,
//            --crosswatch PATH/bin/crosswatch.js (another build to time, e.g. a clean HEAD),
//            --no-serve, --soak-minutes N (10; 0: no soak), --serve-size N (200000),
//            --serve-clients N (4), --serve-batch N (records per request, 2000),
//            --no-sigma, --sigma-only (that section alone), --sigma-size N (default: the smallest
//            of --sizes with >= 1M records, else the largest),
//            --no-sweep, --sweep-only (that section alone), --sweep-sizes N,… (default: --sizes),
//            --sweep-shares 0.001,0.05,0.2,0.5, --sweep-mixes mixed,ndjson
//   npm run bench -- --sweep-only --sweep-sizes 1000000   hunt vs DuckDB by alerted share and input shape (issue #18)
//   npm run bench -- --sigma-only --runs 3          Sigma correlation throughput at 1M (bench/sigma-bench.ts)
//   env: BENCH_SIZES, BENCH_RUNS, BENCH_SEED, BENCH_CROSSWATCH
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import ipaddr from 'ipaddr.js';
import { version as duckdbVersion } from '@duckdb/node-api';
import { BENCH_DIR, BYTES_PER_RECORD, DATA_DIR, buildAlerted, ensureDataset, freeBytes, isCached, type Mix } from './datasets.js';
import { buildShare } from './alerted-share.js';
import type { Dataset } from './datasets.js';
import { globFiles, listDataset } from './files.js';
import { forEachLine } from './lines.js';
import { median, runMeasured } from './measure.js';
import type { RunSpec } from './measure.js';
import { script } from './sql.js';
import { runServeBench, serveReport, type ServeBenchResult } from './serve-bench.js';
import type { SigmaBenchResult } from './sigma-bench.js';
import type { DatasetFiles } from './sql.js';

const ROOT = join(BENCH_DIR, '..');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const TMP = join(DATA_DIR, 'tmp');
const NODE = process.execPath;
const JQ = '/usr/bin/jq';
const JQ_FILTER = 'select(.event_type=="alert") | .src_ip';

// ---------------------------------------------------------------- options

interface Options {
  sizes: number[];
  runs: number;
  seed: number;
  quick: boolean;
  alerted: number[];
  scaleSize: number | null;
  tools: ToolId[];
  regen: boolean;
  /** The crosswatch entry point to time (default: this checkout's bin/crosswatch.js, which runs dist/). */
  crosswatch: string;
  /** The serve section (HTTP ingest, probe, soak): on by default. */
  serve: boolean;
  soakMinutes: number;
  serveSize: number;
  serveClients: number;
  serveBatch: number;
  /** The Sigma correlation throughput section (bench/sigma-bench.ts): on by default. */
  sigma: boolean;
  /** That section alone: no side-by-side tools, scale or serve (and no dist/ needed). */
  sigmaOnly: boolean;
  /** Its dataset size; null: the smallest of `sizes` with at least 1M records, else the largest. */
  sigmaSize: number | null;
  /** The sweep (issue #18): hunt and tuned DuckDB by share of identity records from alerted IPs, input shape and size. */
  sweep: boolean;
  sweepOnly: boolean;
  /** null: `sizes`. */
  sweepSizes: number[] | null;
  sweepShares: number[];
  sweepMixes: Mix[];
}

const TOOL_IDS = ['hunt', 'duckdb-untuned', 'duckdb-tuned', 'floor-bytes', 'floor-parse', 'jq'] as const;
type ToolId = (typeof TOOL_IDS)[number];

function numbers(flag: string, v: string): number[] {
  const out = v.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
    const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s);
    if (!m) throw new Error(`${flag}: not a number: ${s}`);
    const mult = m[2]!.toLowerCase() === 'k' ? 1e3 : m[2]!.toLowerCase() === 'm' ? 1e6 : 1;
    return Math.round(Number(m[1]) * mult);
  });
  if (out.length === 0) throw new Error(`${flag}: empty list`);
  return out;
}

/** A list of fractions (0 < x <= 1): the alerted shares. */
function fractions(flag: string, v: string): number[] {
  const out = v.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
  if (out.length === 0 || out.some((x) => !Number.isFinite(x) || x <= 0 || x > 1)) throw new Error(`${flag}: fractions between 0 and 1, e.g. 0.001,0.05,0.2,0.5`);
  return out;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    sizes: numbers('BENCH_SIZES', process.env['BENCH_SIZES'] ?? '1000000,5000000'),
    runs: Number(process.env['BENCH_RUNS'] ?? 3),
    seed: Number(process.env['BENCH_SEED'] ?? 1),
    quick: false,
    alerted: [10, 1000, 100000],
    scaleSize: null,
    tools: [...TOOL_IDS],
    regen: false,
    crosswatch: process.env['BENCH_CROSSWATCH'] ?? join(ROOT, 'bin', 'crosswatch.js'),
    serve: true,
    soakMinutes: 10,
    serveSize: 200000,
    serveClients: 4,
    serveBatch: 2000,
    sigma: true,
    sigmaOnly: false,
    sigmaSize: null,
    sweep: true,
    sweepOnly: false,
    sweepSizes: null,
    sweepShares: [0.001, 0.05, 0.2, 0.5],
    sweepMixes: ['mixed', 'ndjson'],
  };
  let soakGiven = false;
  let serveSizeGiven = false;
  let sizesGiven = false;
  let runsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--sizes') {
      o.sizes = numbers(a, val());
      sizesGiven = true;
    } else if (a === '--runs') {
      o.runs = Number(val());
      runsGiven = true;
    }
    else if (a === '--seed') o.seed = Number(val());
    else if (a === '--quick') o.quick = true;
    else if (a === '--alerted') {
      const v = val();
      o.alerted = v === 'none' ? [] : numbers(a, v);
    } else if (a === '--scale-size') o.scaleSize = numbers(a, val())[0]!;
    else if (a === '--tools') {
      const ts = val().split(',').map((s) => s.trim());
      for (const t of ts) if (!(TOOL_IDS as readonly string[]).includes(t)) throw new Error(`--tools: unknown tool ${t} (${TOOL_IDS.join(', ')})`);
      o.tools = ts as ToolId[];
    } else if (a === '--regen') o.regen = true;
    else if (a === '--crosswatch') o.crosswatch = resolve(val());
    else if (a === '--serve') o.serve = true;
    else if (a === '--no-serve') o.serve = false;
    else if (a === '--soak-minutes') {
      o.soakMinutes = Number(val());
      soakGiven = true;
    } else if (a === '--serve-size') {
      o.serveSize = numbers(a, val())[0]!;
      serveSizeGiven = true;
    } else if (a === '--serve-clients') o.serveClients = Number(val());
    else if (a === '--serve-batch') o.serveBatch = Number(val());
    else if (a === '--sigma') o.sigma = true;
    else if (a === '--no-sigma') o.sigma = false;
    else if (a === '--sigma-only') o.sigmaOnly = true;
    else if (a === '--sigma-size') o.sigmaSize = numbers(a, val())[0]!;
    else if (a === '--sweep') o.sweep = true;
    else if (a === '--no-sweep') o.sweep = false;
    else if (a === '--sweep-only') o.sweepOnly = true;
    else if (a === '--sweep-sizes') o.sweepSizes = numbers(a, val());
    else if (a === '--sweep-shares') o.sweepShares = fractions(a, val());
    else if (a === '--sweep-mixes') {
      const ms = val().split(',').map((x) => x.trim());
      for (const m of ms) if (m !== 'mixed' && m !== 'ndjson') throw new Error(`--sweep-mixes: mixed or ndjson, not ${m}`);
      o.sweepMixes = ms as Mix[];
    }
    else if (a === '-h' || a === '--help') {
      process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(0, 18).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (o.quick) {
    if (!sizesGiven) o.sizes = [50000];
    if (!runsGiven) o.runs = 1;
    if (!soakGiven) o.soakMinutes = 1 / 3;
    if (!serveSizeGiven) o.serveSize = 50000;
  }
  if (!Number.isFinite(o.soakMinutes) || o.soakMinutes < 0) throw new Error('--soak-minutes: a number >= 0');
  if (!Number.isInteger(o.serveClients) || o.serveClients < 1) throw new Error('--serve-clients: a whole number >= 1');
  if (!Number.isInteger(o.serveBatch) || o.serveBatch < 1) throw new Error('--serve-batch: a whole number >= 1');
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs: a whole number >= 1');
  if (!Number.isInteger(o.seed)) throw new Error('--seed: a whole number');
  o.sizes = [...new Set(o.sizes)].sort((a, b) => a - b);
  if (o.sigmaOnly) {
    if (!o.sigma) throw new Error('--sigma-only and --no-sigma: nothing to run');
    o.serve = false;
    o.sweep = false;
  }
  if (o.sweepOnly) {
    if (!o.sweep) throw new Error('--sweep-only and --no-sweep: nothing to run');
    o.serve = false;
    o.sigma = false;
  }
  if (o.quick && !o.sweepOnly) o.sweep = false;
  return o;
}

// ---------------------------------------------------------------- tools

interface ToolRun {
  wallS: number;
  /** The time the tool reports for its own work (DuckDB query, floor loop), when it does. */
  selfS: number | null;
  rssMB: number;
  pairs: string[] | null;
  outputLines?: number;
}

interface ToolDef {
  id: ToolId;
  label: string;
  /** What is timed for the table: the whole process, or the tool's own loop/query. */
  timed: 'process' | 'self';
  /** The input it reads: every file, or the EVE files only (jq). */
  input: 'all' | 'eve';
  spec(ds: Dataset, files: DatasetFiles, out: string): RunSpec;
  collect(out: string): { selfS: number | null; pairs: string[] | null; outputLines?: number };
}

const TSX = ['--import', 'tsx'];
/** Set from the options before any run. */
let crosswatchBin = join(ROOT, 'bin', 'crosswatch.js');

function pairKey(rule: string, ip: string): string {
  return `${rule} ${ipKey(ip)}`;
}

/** The SQL's key form: IPv4 dotted quad, IPv6 fully expanded and zero-padded. */
export function ipKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const a = ipaddr.parse(ip);
  if (a.kind() !== 'ipv6') return a.toString();
  return (a as ipaddr.IPv6).toNormalizedString().split(':').map((g) => g.padStart(4, '0')).join(':');
}

function duckTool(id: 'duckdb-untuned' | 'duckdb-tuned', variant: 'untuned' | 'tuned', label: string): ToolDef {
  return {
    id, label, timed: 'self', input: 'all',
    spec: (ds, _f, out) => ({ cmd: NODE, args: [...TSX, join(BENCH_DIR, 'duckdb-run.ts'), variant, ds.logsDir, out], stdoutTo: null, cwd: ROOT }),
    collect: (out) => {
      const r = JSON.parse(readFileSync(out, 'utf8')) as { queryMs: number; pairs: Array<{ rule: string; ip: string }> };
      return { selfS: r.queryMs / 1000, pairs: r.pairs.map((p) => pairKey(p.rule, p.ip)) };
    },
  };
}

function floorTool(id: 'floor-bytes' | 'floor-parse', mode: 'bytes' | 'parse', label: string): ToolDef {
  return {
    id, label, timed: 'self', input: 'all',
    spec: (ds, _f, out) => ({ cmd: NODE, args: [...TSX, join(BENCH_DIR, 'floors.ts'), mode, ds.logsDir, out], stdoutTo: null, cwd: ROOT }),
    collect: (out) => {
      const r = JSON.parse(readFileSync(out, 'utf8')) as { ms: number };
      return { selfS: r.ms / 1000, pairs: null };
    },
  };
}

const TOOLS: Record<ToolId, ToolDef> = {
  hunt: {
    id: 'hunt', label: 'crosswatch hunt', timed: 'process', input: 'all',
    spec: (ds, _f, out) => ({
      // Run as installed (its shebang sets its Node flags), not as `node bin/crosswatch.js`.
      cmd: crosswatchBin,
      args: ['hunt', ds.logsDir, '--format', 'ndjson', '--quiet', '--no-progress', '--out', out],
      stdoutTo: null, cwd: ROOT,
    }),
    collect: (out) => {
      const pairs = new Set<string>();
      let lines = 0;
      for (const line of readFileSync(out, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        lines++;
        const a = JSON.parse(line) as { rule: { id: string }; source: { ip: string } };
        pairs.add(pairKey(a.rule.id, a.source.ip));
      }
      return { selfS: null, pairs: [...pairs].sort(), outputLines: lines };
    },
  },
  'duckdb-untuned': duckTool('duckdb-untuned', 'untuned', 'DuckDB SQL, untuned'),
  'duckdb-tuned': duckTool('duckdb-tuned', 'tuned', 'DuckDB SQL, tuned'),
  'floor-bytes': floorTool('floor-bytes', 'bytes', 'floor: read bytes'),
  'floor-parse': floorTool('floor-parse', 'parse', 'floor: JSON.parse'),
  jq: {
    id: 'jq', label: 'jq alert IPs (EVE only)', timed: 'process', input: 'eve',
    spec: (_ds, f, out) => ({ cmd: JQ, args: ['-r', JQ_FILTER, ...f.eve], stdoutTo: out }),
    collect: (out) => {
      let n = 0;
      const text = readFileSync(out, 'utf8');
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
      return { selfS: null, pairs: null, outputLines: n };
    },
  },
};

async function runTool(tool: ToolDef, ds: Dataset, files: DatasetFiles): Promise<ToolRun> {
  mkdirSync(TMP, { recursive: true });
  const out = join(TMP, `${tool.id}-${ds.name}.out`);
  rmSync(out, { force: true });
  const s = await runMeasured(tool.spec(ds, files, out), join(TMP, 'time.txt'));
  const c = tool.collect(out);
  return { wallS: s.wallS, selfS: c.selfS, rssMB: s.rssMB, pairs: c.pairs, ...(c.outputLines === undefined ? {} : { outputLines: c.outputLines }) };
}

// ---------------------------------------------------------------- stats

interface Stat {
  tool: ToolId;
  label: string;
  dataset: string;
  size: number;
  timed: 'process' | 'self';
  runs: ToolRun[];
  medianS: number;
  minS: number;
  maxS: number;
  medianWallS: number;
  recordsPerS: number;
  mbPerS: number;
  inputRecords: number;
  inputBytes: number;
  peakRssMB: number;
}

function stat(tool: ToolDef, ds: Dataset, runs: ToolRun[], input: { records: number; bytes: number }): Stat {
  const ts = runs.map((r) => (tool.timed === 'self' && r.selfS !== null ? r.selfS : r.wallS));
  const med = median(ts);
  return {
    tool: tool.id, label: tool.label, dataset: ds.name, size: ds.size, timed: tool.timed, runs,
    medianS: med, minS: Math.min(...ts), maxS: Math.max(...ts), medianWallS: median(runs.map((r) => r.wallS)),
    recordsPerS: input.records / med, mbPerS: input.bytes / 1e6 / med, inputRecords: input.records, inputBytes: input.bytes,
    peakRssMB: Math.max(...runs.map((r) => r.rssMB)),
  };
}

function fmt(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return '-';
  return n.toFixed(digits);
}

function human(n: number): string {
  return n >= 1e6 ? `${+(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : String(n);
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------- answers

interface AnswerCheck {
  dataset: string;
  truth: number | null;
  counts: Record<string, number>;
  agree: boolean;
  disagreements: string[];
}

function diff(aName: string, a: string[], bName: string, b: string[]): string[] {
  const sa = new Set(a);
  const sb = new Set(b);
  const out: string[] = [];
  for (const k of sa) if (!sb.has(k)) out.push(`in ${aName}, not in ${bName}: ${k}`);
  for (const k of sb) if (!sa.has(k)) out.push(`in ${bName}, not in ${aName}: ${k}`);
  return out;
}

function checkAnswers(ds: Dataset, byTool: Map<ToolId, ToolRun[]>): AnswerCheck {
  const answers: Array<[string, string[]]> = [];
  const problems: string[] = [];
  if (ds.truth !== null) answers.push(['truth', [...new Set(ds.truth.map((p) => pairKey(p.rule, p.ip)))].sort()]);
  for (const [id, runs] of byTool) {
    const first = runs[0]?.pairs;
    if (!first) continue;
    runs.forEach((r, i) => {
      if (r.pairs && r.pairs.join('\n') !== first.join('\n')) problems.push(`${id}: run ${i + 1} answered differently from run 1`);
    });
    answers.push([id, first]);
  }
  const [ref, ...rest] = answers;
  if (ref) for (const [name, a] of rest) problems.push(...diff(ref[0], ref[1], name, a));
  return {
    dataset: ds.name,
    truth: ds.truth === null ? null : answers[0]![1].length,
    counts: Object.fromEntries(answers.map(([n, a]) => [n, a.length])),
    agree: problems.length === 0,
    disagreements: problems,
  };
}

// ---------------------------------------------------------------- Sigma correlation throughput

/**
 * rsigma's published correlation throughput, the figure issue #17 quotes: another
 * engine (Rust), its own rules and events, other hardware — never measured here.
 */
const RSIGMA = {
  eventsPerS: 501_000,
  source: 'rsigma\'s BENCHMARKS.md (https://github.com/timescale/rsigma/blob/7eda0d76304a8934a769dc4c7ed619414d9bc0d8/BENCHMARKS.md), ' +
    'table "Correlation Throughput": 100,000 events in 199.6 ms = 501 Kelem/s; Apple M4 Pro, macOS, captured 2026-07-05 on rsigma 0.18.0',
  workload: 'its crates/rsigma-eval/benches/correlation.rs correlation_throughput: 50 generated detection rules and 10 event_count ' +
    'correlations, each event detected and correlated (process_event_at), small generated events parsed before the timing, one thread',
  note: 'a published figure on other hardware, with other rules and events: not measured here',
};

type SigmaSection = SigmaBenchResult & {
  dataset: string;
  size: number;
  nodeFlags: string[];
  rsigma: typeof RSIGMA;
  /** Per case: its events/s over rsigma's 501 k. */
  vsRsigma: Record<string, number>;
};

/** Runs bench/sigma-bench.ts on a dataset in its own process (the decoded events need a large heap). */
async function runSigma(ds: Dataset, runs: number): Promise<SigmaSection> {
  mkdirSync(TMP, { recursive: true });
  const out = join(TMP, `sigma-${ds.name}.json`);
  // ~1.4 GB of heap per 1M decoded events, plus the general path's state; at most 70 % of RAM.
  const heapMB = Math.min(Math.floor((os.totalmem() / 2 ** 20) * 0.7), 2048 + Math.ceil((ds.size / 1e6) * 3500));
  const nodeFlags = ['--expose-gc', `--max-old-space-size=${heapMB}`];
  await new Promise<void>((resolveRun, reject) => {
    const child = spawn(NODE, [...nodeFlags, ...TSX, join(BENCH_DIR, 'sigma-bench.ts'), ds.logsDir, out, '--runs', String(runs)], {
      cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolveRun() : reject(new Error(`bench/sigma-bench.ts exited with ${String(code)}`))));
  });
  const r = JSON.parse(readFileSync(out, 'utf8')) as SigmaBenchResult;
  return {
    dataset: ds.name, size: ds.size, nodeFlags, ...r, rsigma: RSIGMA,
    vsRsigma: Object.fromEntries(r.cases.map((c) => [c.id, +(c.eventsPerS / RSIGMA.eventsPerS).toFixed(3)])),
  };
}

/** The cross-checks hold, or their one known difference (the shared-infrastructure cap) explains them. */
function sigmaExplained(s: SigmaSection): boolean {
  const x = s.crossCheck;
  return (x.equal || x.withoutCap?.equal === true) && x.sealedEqual && (x.truth === null || x.truth.equal) && s.cases.every((c) => c.stable);
}

function sigmaReport(s: SigmaSection): string[] {
  const n = (x: number): string => x.toLocaleString('en-US');
  const d = s.decode;
  const roles = Object.entries(d.byRole).sort((a, b) => b[1] - a[1]).map(([r, k]) => `${r} ${n(k)}`).join(', ');
  const out = [
    `Sigma correlation throughput — ${s.dataset}: ${n(d.events)} events, decoded before the timing (${roles}); ` +
      `one thread, every case sees every event; median [min, max] of ${s.runs} timed run(s) after a warm-up`,
  ];
  out.push(table(['case', 'rules', 'median s', 'min', 'max', 'GC s', 'events/s', 'vs rsigma 501k'], s.cases.map((c) => [
    c.label,
    c.correlations > 0 ? `${c.correlations} corr, ${c.detections} det` : `${c.detections} det`,
    fmt(c.medianS), fmt(c.minS), fmt(c.maxS), fmt(median(c.gcS)), human(Math.round(c.eventsPerS)), `${fmt(s.vsRsigma[c.id]!)}x`,
  ])));
  out.push('answers (first timed run): ' + s.cases.map((c) => `${c.id} ${n(c.answer.count)} ${c.answer.kind}${c.stable ? '' : ' (NOT the same in every run)'}`).join(', '));
  const x = s.crossCheck;
  const diffs = (a: string[], b: string[]): string => `${a.length > 0 ? `only built-in: ${a.join('; ')}` : ''}${a.length > 0 && b.length > 0 ? '; ' : ''}${b.length > 0 ? `only general: ${b.join('; ')}` : ''}`;
  out.push(`general = built-in: ${x.equal ? 'yes' : 'no'} (episode ids of the built-in rules: built-in correlator ${x.builtin}, general Sigma path ${x.general})`);
  if (!x.equal) {
    out.push(`  ${diffs(x.onlyBuiltin, x.onlyGeneral)}`);
    if (x.withoutCap) {
      out.push(`  with the built-in correlator's shared-infrastructure cap off (the general path applies none): ${x.withoutCap.equal ? 'yes' : 'no'}` +
        ` (${x.withoutCap.builtin} episodes)${x.withoutCap.equal ? '' : ` — ${diffs(x.withoutCap.onlyBuiltin, x.withoutCap.onlyGeneral)}`}`);
    }
  }
  out.push(`correlator in hunt's order (alerts, seal, the rest) = every event in file order: ${x.sealedEqual ? 'yes' : 'no'}`);
  if (x.truth) {
    out.push(`built-in correlator's (rule, IP) pairs = truth.json: ${x.truth.equal ? 'yes' : 'no'} (${x.truth.pairs} / ${x.truth.truthPairs})` +
      (x.truth.equal ? '' : ` — only built-in: ${x.truth.onlyBuiltin.join('; ')}; only truth: ${x.truth.onlyTruth.join('; ')}`));
  }
  out.push(`rsigma's 501 k events/s: ${s.rsigma.note}. Source: ${s.rsigma.source}. Workload: ${s.rsigma.workload}.`);
  return out;
}

// ---------------------------------------------------------------- main

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  let lscpu: string | null = null;
  try {
    lscpu = execFileSync('lscpu', [], { encoding: 'utf8' }).split('\n').filter((l) => /^(Model name|CPU\(s\)|Thread|Core|L3)/.test(l)).join('; ');
  } catch {
    lscpu = null;
  }
  let jq: string | null = null;
  try {
    jq = execFileSync(JQ, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    jq = null;
  }
  return {
    cpuModel: cpus[0]?.model ?? 'unknown', cpuCount: cpus.length, availableParallelism: os.availableParallelism(),
    totalMemoryGB: +(os.totalmem() / 2 ** 30).toFixed(1), platform: os.platform(), arch: os.arch(),
    kernel: os.release(), osVersion: os.version(), node: process.version, duckdb: duckdbVersion(), jq, lscpu,
    loadAverageAtStart: os.loadavg().map((x) => +x.toFixed(2)),
  };
}

/** A fingerprint of the build that `hunt` runs (names, sizes, mtimes of the .js under dist/), to notice a rebuild mid-run. */
function distFingerprint(distDir: string): string {
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) {
        const st = statSync(p);
        h.update(`${relative(distDir, p)} ${st.size} ${st.mtimeMs}\n`);
      }
    }
  };
  if (existsSync(distDir)) walk(distDir);
  return h.digest('hex').slice(0, 16);
}

function eveInput(files: DatasetFiles): { records: number; bytes: number } {
  const buf = Buffer.allocUnsafe(1 << 20);
  let records = 0;
  let bytes = 0;
  for (const f of files.eve) {
    forEachLine(f, buf, (b, s, e) => {
      bytes += e - s + 1;
      records++;
    });
  }
  return { records, bytes };
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  // Checked now, not after an hour of measuring.
  if (opts.scaleSize !== null && !opts.sizes.includes(opts.scaleSize)) throw new Error(`--scale-size ${opts.scaleSize} is not one of --sizes`);
  const log = (s: string): void => void process.stderr.write(s + '\n');
  crosswatchBin = opts.crosswatch;
  const distDir = join(dirname(crosswatchBin), '..', 'dist');
  // --sigma-only: the Sigma section alone, which runs the sources (tsx), not dist/.
  const toolSizes = opts.sigmaOnly || opts.sweepOnly ? [] : opts.sizes;
  const sweepSizes = opts.sweep ? opts.sweepSizes ?? opts.sizes : [];
  const sigmaSize = opts.sigma ? opts.sigmaSize ?? opts.sizes.find((n) => n >= 1_000_000) ?? opts.sizes[opts.sizes.length - 1]! : null;
  if (!opts.sigmaOnly) {
    if (!existsSync(crosswatchBin) || !existsSync(join(distDir, 'cli', 'main.js'))) {
      throw new Error(`${crosswatchBin} or its dist/ is missing: run \`npm run build\` first (the bench times bin/crosswatch.js)`);
    }
    log(`timing ${relative(process.cwd(), crosswatchBin) || crosswatchBin}`);
    for (const t of opts.tools) if (t === 'jq' && !existsSync(JQ)) throw new Error(`${JQ} not found (apt-get install jq), or leave jq out with --tools`);
  }

  // Disk: the datasets not yet cached, at about 2.2 KB per record.
  const wanted = [...new Set([...toolSizes, ...(opts.serve ? [opts.serveSize] : []), ...(sigmaSize === null ? [] : [sigmaSize])])];
  const missing = wanted.filter((n) => opts.regen || !isCached(n, opts.seed));
  // The sweep's NDJSON datasets too (its mixed ones are the sizes above, or more of them).
  const sweepMissing = sweepSizes.flatMap((n) => opts.sweepMixes.map((m) => [n, m] as const))
    .filter(([n, m]) => (m !== 'mixed' || !wanted.includes(n)) && (opts.regen || !isCached(n, opts.seed, m))).map(([n]) => n);
  missing.push(...sweepMissing);
  const need = missing.reduce((s, n) => s + n * BYTES_PER_RECORD, 0);
  const free = freeBytes();
  log(`disk: ${(free / 1e9).toFixed(1)} GB free in ${relative(process.cwd(), DATA_DIR) || DATA_DIR}; ` +
    `${missing.length === 0 ? 'all datasets cached' : `about ${(need / 1e9).toFixed(1)} GB needed for ${missing.map(human).join(', ')} records`}`);
  if (need * 1.1 > free) {
    log(`not enough disk space: need about ${(need * 1.1 / 1e9).toFixed(1)} GB (with 10 % margin), have ${(free / 1e9).toFixed(1)} GB. ` +
      'Choose smaller sizes (--sizes 200000,1000000) or free space in bench/data/.');
    process.exit(2);
  }
  const totalBytes = toolSizes.reduce((s, n) => s + n * BYTES_PER_RECORD, 0);
  if (totalBytes > os.totalmem() * 0.8) log(`note: the datasets (~${(totalBytes / 1e9).toFixed(1)} GB) may not all stay in the page cache (${(os.totalmem() / 1e9).toFixed(1)} GB RAM)`);

  const mach = machine();
  log(`machine: ${String(mach['cpuModel'])} x${String(mach['cpuCount'])}, ${String(mach['totalMemoryGB'])} GiB, node ${process.version}, duckdb ${String(mach['duckdb'])}, kernel ${os.release()}`);
  const startedAt = new Date();
  const distAtStart = distFingerprint(distDir);

  const datasets: Dataset[] = [];
  for (const n of toolSizes) datasets.push(await ensureDataset(n, opts.seed, opts.regen, log));

  // Side by side: a warm-up round (untimed: fills the page cache, JITs nothing across
  // processes but loads binaries), then `runs` rounds, each tool once per round.
  const stats: Stat[] = [];
  const answers: AnswerCheck[] = [];
  const tools = opts.tools.map((t) => TOOLS[t]);
  for (const ds of datasets) {
    const listing = listDataset(ds.logsDir);
    const eve = tools.some((t) => t.input === 'eve') ? eveInput(listing.files) : { records: 0, bytes: 0 };
    const byTool = new Map<ToolId, ToolRun[]>(tools.map((t) => [t.id, []]));
    log(`\n${ds.name}: ${ds.records} records, ${(listing.bytes / 1e9).toFixed(2)} GB in ${listing.all.length} files`);
    for (let round = 0; round <= opts.runs; round++) {
      for (const t of tools) {
        const r = await runTool(t, ds, listing.files);
        const shown = t.timed === 'self' && r.selfS !== null ? `${fmt(r.selfS)} s (process ${fmt(r.wallS)} s)` : `${fmt(r.wallS)} s`;
        log(`  ${round === 0 ? 'warm-up' : `run ${round}/${opts.runs}`}  ${t.label.padEnd(26)} ${shown}, peak RSS ${fmt(r.rssMB, 0)} MB`);
        if (round > 0) byTool.get(t.id)!.push(r);
      }
    }
    for (const t of tools) {
      const input = t.input === 'eve' ? eve : { records: ds.records, bytes: listing.bytes };
      stats.push(stat(t, ds, byTool.get(t.id)!, input));
    }
    const check = checkAnswers(ds, byTool);
    answers.push(check);
    log(`  answers (distinct (rule, ip) pairs): ${Object.entries(check.counts).map(([k, v]) => `${k} ${v}`).join(', ')} — ${check.agree ? 'all agree' : 'DISAGREE'}`);
    for (const d of check.disagreements) log(`    ${d}`);
  }

  // Sweep (issue #18): hunt and tuned DuckDB, side by side as above, at every point of
  // size × input shape × share of identity records from alerted IPs.
  const sweep: SweepPoint[] = [];
  if (sweepSizes.length > 0) {
    const tools = [TOOLS.hunt, TOOLS['duckdb-tuned']];
    log(`\nsweep: hunt and DuckDB (tuned) by size (${sweepSizes.map(human).join(', ')}), input (${opts.sweepMixes.join(', ')}) ` +
      `and share of identity records from alerted IPs (${opts.sweepShares.map((x) => `${+(x * 100).toFixed(2)} %`).join(', ')})`);
    for (const size of sweepSizes) {
      for (const mix of opts.sweepMixes) {
        const base = await ensureDataset(size, opts.seed, opts.regen, log, mix);
        for (const share of opts.sweepShares) {
          const ds = await buildShare(base, share, log);
          const listing = listDataset(ds.logsDir);
          const byTool = new Map<ToolId, ToolRun[]>(tools.map((t) => [t.id, []]));
          for (let round = 0; round <= opts.runs; round++) {
            for (const t of tools) {
              const r = await runTool(t, ds, listing.files);
              if (round > 0) byTool.get(t.id)!.push(r);
            }
          }
          const input = { records: ds.records, bytes: listing.bytes };
          const h = stat(TOOLS.hunt, ds, byTool.get('hunt')!, input);
          const d = stat(TOOLS['duckdb-tuned'], ds, byTool.get('duckdb-tuned')!, input);
          const check = checkAnswers(ds, byTool);
          const point: SweepPoint = {
            dataset: ds.name, size, mix, share, reached: ds.shareInfo.reached, alertedIps: ds.shareInfo.alertedIps,
            records: ds.records, mb: listing.bytes / 1e6, huntS: h.medianS, duckdbS: d.medianS, ratio: d.medianS / h.medianS,
            huntRssMB: h.peakRssMB, duckdbRssMB: d.peakRssMB, pairs: check.counts['hunt'] ?? 0, exact: check.agree, disagreements: check.disagreements,
          };
          sweep.push(point);
          log(`  ${sweepLabel(point).padEnd(22)} hunt ${fmt(h.medianS)} s (RSS ${fmt(h.peakRssMB, 0)} MB), DuckDB ${fmt(d.medianS)} s: ${fmt(point.ratio)}x; ` +
            `${point.alertedIps} alerted IPs, ${point.pairs} pairs, ${point.exact ? 'answers agree' : 'DISAGREE'}`);
          for (const x of check.disagreements) log(`    ${x}`);
        }
      }
    }
  }

  // Scale: hunt over the sizes above, and with more alerted IPs on one size.
  const scaleBase = opts.scaleSize === null ? datasets[0] : datasets.find((d) => d.size === opts.scaleSize);
  if (!scaleBase && opts.scaleSize !== null && !opts.sigmaOnly) throw new Error(`--scale-size ${String(opts.scaleSize)} is not one of --sizes`);
  const alertedStats: Array<Stat & { extraAlertedIps: number; fromSignins: number; synthetic: number; alerts: number }> = [];
  if (scaleBase && opts.alerted.length > 0 && opts.tools.includes('hunt')) {
    log(`\nscale: hunt on ${scaleBase.name} with extra alerted IPs (${opts.alerted.join(', ')})`);
    for (const k of opts.alerted) {
      const ds = await buildAlerted(scaleBase, k, log);
      const listing = listDataset(ds.logsDir);
      const runs: ToolRun[] = [];
      for (let round = 0; round <= opts.runs; round++) {
        const r = await runTool(TOOLS.hunt, ds, listing.files);
        log(`  ${round === 0 ? 'warm-up' : `run ${round}/${opts.runs}`}  +${k} alerted IPs  ${fmt(r.wallS)} s, peak RSS ${fmt(r.rssMB, 0)} MB, ${String(r.outputLines)} alerts`);
        if (round > 0) runs.push(r);
      }
      const s = stat(TOOLS.hunt, ds, runs, { records: ds.records, bytes: listing.bytes });
      alertedStats.push({ ...s, extraAlertedIps: k, fromSignins: ds.alerted?.fromSignins ?? 0, synthetic: ds.alerted?.synthetic ?? 0, alerts: runs[0]?.outputLines ?? 0 });
    }
  }

  // Sigma correlation throughput: decoded events in memory, one thread (bench/sigma-bench.ts, its own process).
  let sigma: SigmaSection | null = null;
  if (sigmaSize !== null) {
    const ds = datasets.find((d) => d.size === sigmaSize) ?? await ensureDataset(sigmaSize, opts.seed, false, log);
    log(`\nSigma correlation throughput: ${ds.name}, decoded once, then ${opts.runs} timed run(s) of each case after a warm-up`);
    sigma = await runSigma(ds, opts.runs);
  }

  // Serve: HTTP ingest from concurrent clients, a probe for accept→queryable, a soak with RSS sampled.
  let serve: ServeBenchResult | null = null;
  if (opts.serve) {
    const ds = datasets.find((d) => d.size === opts.serveSize) ?? await ensureDataset(opts.serveSize, opts.seed, false, log);
    log(`\nserve: crosswatch serve on loopback, ${opts.serveClients} clients, ${opts.serveBatch} records per request, soak ${+opts.soakMinutes.toFixed(2)} min`);
    serve = await runServeBench({
      datasetDir: ds.dir, perRequest: opts.serveBatch, clients: opts.serveClients, soakMinutes: opts.soakMinutes,
      bin: crosswatchBin, log: (line) => log(`  ${line}`),
    });
  }

  // ---------------------------------------------------------------- report
  const rows = stats.map((s) => [
    s.label, human(s.size), fmt(s.medianS), fmt(s.minS), fmt(s.maxS), human(Math.round(s.recordsPerS)), fmt(s.mbPerS, 0), fmt(s.peakRssMB, 0),
  ]);
  const out: string[] = [];
  if (stats.length > 0) {
    out.push('', `crosswatch bench — ${opts.runs} timed run(s) after a warm-up, median [min, max]; DuckDB and floors: in-process time (start-up excluded), hunt and jq: whole process`);
    out.push(table(['tool', 'records', 'median s', 'min', 'max', 'records/s', 'MB/s', 'peak RSS MB'], rows));
  }
  const ratios: Array<Record<string, unknown>> = [];
  for (const ds of datasets) {
    const get = (id: ToolId): Stat | undefined => stats.find((s) => s.tool === id && s.dataset === ds.name);
    const hunt = get('hunt');
    if (!hunt) continue;
    const r: Record<string, unknown> = { dataset: ds.name, size: ds.size };
    const parts: string[] = [];
    for (const id of ['duckdb-untuned', 'duckdb-tuned', 'floor-parse', 'floor-bytes', 'jq'] as const) {
      const o = get(id);
      if (!o) continue;
      const x = o.medianS / hunt.medianS;
      r[`${id}_over_hunt`] = +x.toFixed(3);
      parts.push(`${o.label}: ${x >= 1 ? `hunt ${fmt(x)}x faster` : `hunt ${fmt(1 / x)}x slower`} (${fmt(o.medianS)} s vs ${fmt(hunt.medianS)} s)`);
    }
    ratios.push(r);
    out.push('', `ratios at ${human(ds.size)} records (other tool's median / hunt's median):`, ...parts.map((p) => `  ${p}`));
  }
  const huntBySize = stats.filter((s) => s.tool === 'hunt');
  if (huntBySize.length > 0) {
    out.push('', 'scale — hunt by record count:');
    out.push(table(['records', 'GB', 'median s', 's per 1M records', 'peak RSS MB'],
      huntBySize.map((s) => [human(s.size), fmt(s.inputBytes / 1e9), fmt(s.medianS), fmt((s.medianS / s.inputRecords) * 1e6), fmt(s.peakRssMB, 0)])));
  }
  if (scaleBase && alertedStats.length > 0) {
    const base = huntBySize.find((s) => s.dataset === scaleBase.name);
    out.push('', `scale — hunt on ${human(scaleBase.size)} records with extra alerted IPs:`);
    const rowsA = base ? [['+0', '0', '0', fmt(base.medianS), fmt(base.minS), fmt(base.maxS), fmt(base.peakRssMB, 0), String(base.runs[0]?.outputLines ?? '-')]] : [];
    for (const s of alertedStats) rowsA.push([`+${human(s.extraAlertedIps)}`, String(s.fromSignins), String(s.synthetic), fmt(s.medianS), fmt(s.minS), fmt(s.maxS), fmt(s.peakRssMB, 0), String(s.alerts)]);
    out.push(table(['alerted IPs', 'from sign-ins', 'synthetic', 'median s', 'min', 'max', 'peak RSS MB', 'alerts'], rowsA));
  }
  if (sweep.length > 0) {
    out.push('', `sweep — hunt vs DuckDB (tuned) by size, input and share of identity records from alerted IPs (median of ${opts.runs}; ratio = DuckDB s / hunt s; goal >= 3x, hunt RSS < 256 MB):`);
    out.push(table(['point', 'records', 'MB', 'alerted IPs', 'hunt s', 'DuckDB s', 'ratio', 'hunt RSS MB', 'answer'],
      sweep.map((p) => [sweepLabel(p), human(p.records), fmt(p.mb, 0), String(p.alertedIps), fmt(p.huntS), fmt(p.duckdbS), `${fmt(p.ratio)}x`, fmt(p.huntRssMB, 0), p.exact ? 'exact' : 'DIFFERS'])));
  }
  for (const a of answers) {
    out.push('', `answer check ${a.dataset}: ${a.agree ? 'crosswatch, DuckDB (both) and truth.json agree' : 'DISAGREEMENT'} — ${Object.entries(a.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    for (const d of a.disagreements) out.push(`  ${d}`);
  }
  if (sigma) out.push('', ...sigmaReport(sigma));
  if (serve) out.push('', ...serveReport(serve));
  const distAtEnd = distFingerprint(distDir);
  if (distAtEnd !== distAtStart && !opts.sigmaOnly) out.push('', 'WARNING: dist/ changed during the run (a rebuild): hunt timings may mix two builds');
  process.stdout.write(out.join('\n') + '\n');

  const result = {
    startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(),
    options: { ...opts }, machine: { ...mach, loadAverageAtEnd: os.loadavg().map((x) => +x.toFixed(2)) }, huntBuild: { bin: crosswatchBin, distAtStart, distAtEnd, changedDuringRun: distAtStart !== distAtEnd },
    method: {
      warmup: 'one untimed round of every tool before the timed rounds (page cache warm)',
      rounds: 'each timed round runs every tool once, in the order of options.tools',
      timed: 'hunt and jq: whole process wall time; DuckDB: the query (settings + view + detection) inside its process, excluding node/tsx start-up and instance creation; floors: their loop inside their process',
      peakRss: 'GNU time %M of the child process (max resident set size)',
      jq: `jq -r '${JQ_FILTER}' over the EVE files only; its records/s and MB/s are over the EVE input`,
      sigma: 'bench/sigma-bench.ts in its own process: the dataset decoded once into memory, then per round (a warm-up, then options.runs) ' +
        'each case over every event on one thread, a forced GC before each; events/s = events / median; rsigma\'s figure is published, not measured here',
    },
    datasets: datasets.map((d) => ({ name: d.name, size: d.size, seed: d.seed, records: d.records, bytes: d.bytes, truthPairs: d.truth?.length ?? null, generatedS: d.generatedS ?? null })),
    // Answers are checked above; the results keep their counts, not every pair of every run.
    results: stats.map(slim), ratios, answers,
    scale: { base: scaleBase?.name ?? null, bySize: huntBySize.map((s) => ({ size: s.size, records: s.inputRecords, bytes: s.inputBytes, medianS: s.medianS, peakRssMB: s.peakRssMB })), alerted: alertedStats.map(slim) },
    sql: {
      untuned: script('untuned', globFiles('mixed')), tuned: script('tuned', globFiles('mixed')),
      ...(opts.sweep && opts.sweepMixes.includes('ndjson') ? { ndjson: { untuned: script('untuned', globFiles('ndjson')), tuned: script('tuned', globFiles('ndjson')) } } : {}),
    },
    sigma,
    serve,
    sweep,
  };
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  if (opts.quick) {
    mkdirSync(DATA_DIR, { recursive: true });
    writeFileSync(join(DATA_DIR, 'results-quick.json'), JSON.stringify(result, null, 2) + '\n');
    log(`\nquick mode: results in ${relative(process.cwd(), join(DATA_DIR, 'results-quick.json'))} (not in bench/results/)`);
  } else {
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, `${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
    // A --sigma-only or --sweep-only run has no side-by-side figures, nor one with only some of the
    // tools (the README's command that makes serve's soak dataset runs hunt alone): latest.json keeps
    // the last full run's.
    const partial = opts.sigmaOnly ? '--sigma-only' : opts.sweepOnly ? '--sweep-only'
      : opts.tools.length < TOOL_IDS.length ? `--tools ${opts.tools.join(',')}` : null;
    if (partial === null) writeFileSync(join(RESULTS_DIR, 'latest.json'), JSON.stringify(result, null, 2) + '\n');
    log(`\nresults: ${relative(process.cwd(), join(RESULTS_DIR, `${stamp}.json`))}${partial ? ` (${partial}: latest.json left as it was)` : ' and latest.json'}`);
  }
  rmSync(TMP, { recursive: true, force: true });
  if (answers.some((a) => !a.agree) || sweep.some((p) => !p.exact)) process.exitCode = 3;
  if (serve && (!serve.answers.agree || (serve.soak && !serve.soak.answers.agree))) process.exitCode = 3;
  if (sigma && !sigmaExplained(sigma)) process.exitCode = 3;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

/** One point of the sweep. */
interface SweepPoint {
  dataset: string;
  size: number;
  mix: Mix;
  /** The share of identity records from alerted IPs asked for, and reached. */
  share: number;
  reached: number;
  alertedIps: number;
  records: number;
  mb: number;
  huntS: number;
  duckdbS: number;
  /** DuckDB s / hunt s. */
  ratio: number;
  huntRssMB: number;
  duckdbRssMB: number;
  pairs: number;
  /** hunt and DuckDB gave the same (rule, IP) pairs in every run. */
  exact: boolean;
  disagreements: string[];
}

function sweepLabel(p: SweepPoint): string {
  return `${human(p.size)} ${p.mix} ${+(p.reached * 100).toFixed(1)} %`;
}

/** A tool's statistics without the answer lists of each run (kept as counts). */
function slim<T extends { runs: Array<{ pairs: string[] | null }> }>(st: T): T {
  return { ...st, runs: st.runs.map(({ pairs, ...r }) => ({ ...r, pairCount: pairs ? pairs.length : null })) } as unknown as T;
}
