// The "Sigma correlation throughput" section of `npm run bench` (issue #17): how
// many decoded events per second crosswatch's Sigma engines take, on one thread,
// with the events already in memory — the measure a Sigma engine's own benchmarks
// publish (rsigma's: events pre-parsed, then evaluated). bench/run.ts runs it as
// its own process; alone:
//   node --expose-gc --max-old-space-size=8192 --import tsx bench/sigma-bench.ts LOGS_DIR OUT.json [--runs N]
//
// Before any timing, every record of the dataset is framed and decoded once
// (src/inputs/framing.ts, src/pipeline/decode.ts → src/decoders) and the
// DecodedEvent[] kept. Then, per round (one untimed warm-up round, then --runs),
// each case in turn, with a garbage collection before each (when --expose-gc):
//   builtin-correlator  the built-in rules (rules/*.yml) through the built-in correlator
//                       (src/detect/correlator.ts): new Correlator, add every event, finish()
//   builtin-sealed      the same in hunt's order: the network alerts, sealNetworkAlerts(), the
//                       rest (events of IPs with no alert near them are then dropped on arrival)
//   builtin-general     the same two correlations forced through the general Sigma path
//                       (src/detect/general.ts GeneralDetector: matchers, then SigmaCorrelator)
//   user-general        the rules of test/sigma-hunt.test.ts (bench/sigma-rules/) through the
//                       general path, all of them (its scan-only rule too)
//   *-match             matcher only: each event tested against the set's base detections
//                       (log source, then the compiled Sigma matcher), no correlation
// Every case sees every event (the correlator drops other roles on arrival; the
// general path tests every event). Reported per case: the median [min, max] of the
// timed runs and events / median; the ratio to rsigma's published 501 k events/s is
// printed by run.ts. Cross-checks (not speed claims): the built-in correlator's and
// the general path's episodes on the built-ins, id by id (and, when they differ, again
// with the correlator's shared-infrastructure cap off, which the general path does
// not apply); the correlator in both orders; its (rule, IP) pairs against truth.json.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { frameFile, DEFAULT_FRAMING } from '../src/inputs/framing.js';
import { decodeFramed } from '../src/pipeline/decode.js';
import type { DecodeContext } from '../src/decoders/types.js';
import type { DecodedEvent } from '../src/model/event.js';
import { Correlator } from '../src/detect/correlator.js';
import { GeneralDetector, type GeneralRules } from '../src/detect/general.js';
import { allAsGeneral, loadRuleSet, type LoadedRules } from '../src/detect/rules.js';
import { eventTest } from '../src/detect/rule.js';
import { defaultConfig, type CorrelatorConfig } from '../src/detect/config.js';
import type { EventTest } from '../src/detect/logsource.js';
import { canonicalIp } from '../src/model/ip.js';
import { BENCH_DIR } from './datasets.js';
import { listDataset } from './files.js';
import { median } from './measure.js';

export const USER_RULES_DIR = join(BENCH_DIR, 'sigma-rules');

export interface SigmaCaseResult {
  id: string;
  label: string;
  /** The alerting rules (correlations, detections) and base detections the case runs. */
  rules: string[];
  detections: number;
  correlations: number;
  runsS: number[];
  /** Per timed run, the garbage collection inside it (seconds): the decoded events' large live heap makes major GCs slow. */
  gcS: number[];
  medianS: number;
  minS: number;
  maxS: number;
  eventsPerS: number;
  /** Episodes / alerts (correlating cases) or detection matches (matcher-only cases), from the first timed run. */
  answer: { kind: 'episodes' | 'alerts' | 'matches'; count: number; byRule: Record<string, number> };
  /** Every timed run gave the same answer as the first. */
  stable: boolean;
}

export interface SigmaBenchResult {
  logsDir: string;
  runs: number;
  decode: { records: number; events: number; rejected: number; framingProblems: number; seconds: number; byRole: Record<string, number>; byDataset: Record<string, number> };
  heapUsedMBAfterDecode: number;
  gcExposed: boolean;
  cases: SigmaCaseResult[];
  crossCheck: {
    /** The built-in correlator's episodes and the general path's, on the built-in rules: the same ids? */
    equal: boolean;
    builtin: number;
    general: number;
    onlyBuiltin: string[];
    onlyGeneral: string[];
    /** When they differ: the same check with the built-in correlator's shared-infrastructure cap off (the general path has none). */
    withoutCap?: { equal: boolean; builtin: number; onlyBuiltin: string[]; onlyGeneral: string[] };
    /** The correlator in hunt's order (alerts, seal, the rest) gave the same episodes as with every event added in file order. */
    sealedEqual: boolean;
    /** The built-in correlator's distinct (rule, IP) pairs against the dataset's truth.json (the generator's planted pairs), when there is one. */
    truth: { pairs: number; truthPairs: number; equal: boolean; onlyBuiltin: string[]; onlyTruth: string[] } | null;
  };
}

type Log = (s: string) => void;

/** Every record of the dataset, framed and decoded once. */
async function decodeAll(logsDir: string, log: Log): Promise<{ events: DecodedEvent[]; stats: SigmaBenchResult['decode'] }> {
  const ctx: DecodeContext = { defaultOffsetMinutes: 0, reference: { ms: Date.now(), ns: 0 } };
  const events: DecodedEvent[] = [];
  let records = 0;
  let rejected = 0;
  let problems = 0;
  const t0 = performance.now();
  const files = listDataset(logsDir).all;
  for (const f of files) {
    for await (const batch of frameFile(f.path, f.path, DEFAULT_FRAMING)) {
      decodeFramed(batch, { ctx }, {
        problem: () => void problems++,
        decoded: (out) => {
          records++;
          if (out.result.ok) events.push(out.result.event);
          else rejected++;
        },
      });
    }
  }
  const byRole: Record<string, number> = {};
  const byDataset: Record<string, number> = {};
  for (const d of events) {
    const e = d.event;
    byRole[e.crosswatch.role] = (byRole[e.crosswatch.role] ?? 0) + 1;
    byDataset[e.event.dataset] = (byDataset[e.event.dataset] ?? 0) + 1;
  }
  const seconds = (performance.now() - t0) / 1000;
  log(`decoded ${files.length} files: ${records} records → ${events.length} events (${rejected} rejected, ${problems} framing problems) in ${seconds.toFixed(1)} s`);
  return { events, stats: { records, events: events.length, rejected, framingProblems: problems, seconds, byRole, byDataset } };
}

function load(paths: string[] | undefined, what: string): LoadedRules {
  const l = loadRuleSet(paths ? { paths } : {});
  if (l.problems.length > 0) throw new Error(`${what}: ${l.problems.join('; ')}`);
  return l;
}

function general(l: LoadedRules, what: string): GeneralRules {
  const g = allAsGeneral(l);
  if (!g) throw new Error(`${what}: no alerting rule`);
  return g;
}

interface Case {
  id: string;
  label: string;
  rules: string[];
  detections: number;
  correlations: number;
  kind: SigmaCaseResult['answer']['kind'];
  /** One full pass over the events; returns the answer as sorted keys "rule episode-id ip" (matcher only: "rule count"). */
  run(events: readonly DecodedEvent[]): string[];
}

const RAISED_AT = new Date(0);

/** The distinct base detections of the correlator's rules (the built-ins share network_alert). */
function baseDetections(l: LoadedRules): number {
  return new Set(l.rules.flatMap((r) => (r.sigma ? [r.sigma.anchor.id, r.sigma.qualifying.id] : []))).size;
}

function correlatorCase(id: string, label: string, l: LoadedRules, config: CorrelatorConfig): Case {
  const rules = l.rules.map((r) => r.correlation);
  return {
    id, label, rules: l.rules.map((r) => r.id), detections: baseDetections(l), correlations: rules.length, kind: 'episodes',
    run(events) {
      const c = new Correlator(config, rules);
      for (let i = 0; i < events.length; i++) c.add(events[i]!);
      return c.finish().map((e) => `${e.rule} ${e.id} ${e.ip}`).sort();
    },
  };
}

/**
 * The correlator as hunt drives it: every network alert first, then sealNetworkAlerts(),
 * then the rest, whose events of IPs with no alert (or none near them) are dropped on
 * arrival. The events are put in that order before the timing.
 */
function sealedCase(id: string, label: string, l: LoadedRules, config: CorrelatorConfig, events: readonly DecodedEvent[]): Case {
  const rules = l.rules.map((r) => r.correlation);
  const alerts = events.filter((d) => d.event.crosswatch.role === 'network_alert');
  const rest = events.filter((d) => d.event.crosswatch.role !== 'network_alert');
  return {
    id, label, rules: l.rules.map((r) => r.id), detections: baseDetections(l), correlations: rules.length, kind: 'episodes',
    run() {
      const c = new Correlator(config, rules);
      for (let i = 0; i < alerts.length; i++) c.add(alerts[i]!);
      c.sealNetworkAlerts();
      for (let i = 0; i < rest.length; i++) c.add(rest[i]!);
      return c.finish().map((e) => `${e.rule} ${e.id} ${e.ip}`).sort();
    },
  };
}

function generalCase(id: string, label: string, g: GeneralRules, config: CorrelatorConfig): Case {
  return {
    id, label, rules: [...g.set.alerting.map((r) => r.id)], detections: g.set.detections.length, correlations: g.set.correlations.length, kind: 'alerts',
    run(events) {
      const d = new GeneralDetector(g, config);
      for (let i = 0; i < events.length; i++) d.add(events[i]!);
      return d.finish(RAISED_AT).map((a) => `${a.rule.id} ${a.event.id} ${a.source?.ip ?? '-'}`).sort();
    },
  };
}

/** The base detections alone, as GeneralDetector.add tests them: every event against every detection. */
function matchCase(id: string, label: string, g: GeneralRules): Case {
  const tests: Array<{ id: string; test: EventTest }> = g.set.detections.map((d) => {
    const t = eventTest(d);
    if (typeof t === 'string') throw new Error(`${d.id}: ${t}`);
    return { id: d.id, test: t };
  });
  return {
    id, label, rules: tests.map((t) => t.id), detections: tests.length, correlations: 0, kind: 'matches',
    run(events) {
      const counts = new Array<number>(tests.length).fill(0);
      for (let i = 0; i < events.length; i++) {
        const ev = events[i]!.event;
        for (let j = 0; j < tests.length; j++) if (tests[j]!.test(ev)) counts[j]!++;
      }
      return tests.map((t, j) => `${t.id} ${counts[j]!}`);
    },
  };
}

function byRule(kind: Case['kind'], keys: string[]): { count: number; byRule: Record<string, number> } {
  const out: Record<string, number> = {};
  let count = 0;
  for (const k of keys) {
    const [rule, rest] = k.split(' ') as [string, string];
    const n = kind === 'matches' ? Number(rest) : 1;
    out[rule] = (out[rule] ?? 0) + n;
    count += n;
  }
  return { count, byRule: out };
}

/** The generator's planted (rule, IP) pairs (DIR/truth.json beside DIR/logs), as "rule ip" in crosswatch's canonical IP form. */
function readTruth(logsDir: string): string[] | null {
  const p = join(dirname(logsDir), 'truth.json');
  if (!existsSync(p)) return null;
  const t = JSON.parse(readFileSync(p, 'utf8')) as { pairs: Array<{ rule: string; ip: string }> };
  return [...new Set(t.pairs.map((x) => `${x.rule} ${canonicalIp(x.ip) ?? x.ip}`))];
}

function diff(a: string[], b: string[]): [string[], string[]] {
  const sa = new Set(a);
  const sb = new Set(b);
  return [a.filter((k) => !sb.has(k)), b.filter((k) => !sa.has(k))];
}

export async function runSigmaBench(logsDir: string, runs: number, log: Log): Promise<SigmaBenchResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const config = defaultConfig();
  const builtin = load(undefined, 'built-in rules');
  const user = load([USER_RULES_DIR], USER_RULES_DIR);
  const builtinGeneral = general(builtin, 'built-in rules');
  const userGeneral = general(user, USER_RULES_DIR);
  if (builtin.rules.length === 0) throw new Error('built-in rules: the correlator runs none of them');

  const { events, stats } = await decodeAll(logsDir, log);
  log(`events by role: ${Object.entries(stats.byRole).sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ')}`);
  gc?.();
  const heapUsedMBAfterDecode = process.memoryUsage().heapUsed / 1e6;

  const cases: Case[] = [
    correlatorCase('builtin-correlator', 'built-in rules, built-in correlator', builtin, config),
    sealedCase('builtin-sealed', 'built-in rules, correlator in hunt\'s order', builtin, config, events),
    generalCase('builtin-general', 'built-in rules, general Sigma path', builtinGeneral, config),
    generalCase('user-general', 'sigma-hunt test rules, general Sigma path', userGeneral, config),
    matchCase('builtin-match', 'built-in detections, matcher only', builtinGeneral),
    matchCase('user-match', 'sigma-hunt test detections, matcher only', userGeneral),
  ];
  const times = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  const gcTimes = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  const answers = new Map<string, string[][]>(cases.map((c) => [c.id, []]));
  // Garbage collection inside each timed pass (V8's gc performance entries; the forced gc() before it is outside).
  const gcs: Array<{ start: number; duration: number }> = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, duration: e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  for (let round = 0; round <= runs; round++) {
    for (const c of cases) {
      gc?.();
      const t0 = performance.now();
      const keys = c.run(events);
      const t1 = performance.now();
      const s = (t1 - t0) / 1000;
      await new Promise((r) => setTimeout(r, 10)); // the observer's entries are delivered asynchronously
      const gcS = gcs.filter((g) => g.start >= t0 && g.start < t1).reduce((sum, g) => sum + g.duration, 0) / 1000;
      log(`  ${round === 0 ? 'warm-up' : `run ${round}/${runs}`}  ${c.label.padEnd(42)} ${s.toFixed(2)} s (GC ${gcS.toFixed(2)} s), ${Math.round(events.length / s / 1000)} k events/s`);
      if (round > 0) {
        times.get(c.id)!.push(s);
        gcTimes.get(c.id)!.push(gcS);
      }
      answers.get(c.id)!.push(keys);
    }
  }
  observer.disconnect();

  const results: SigmaCaseResult[] = cases.map((c) => {
    const ts = times.get(c.id)!;
    const all = answers.get(c.id)!;
    const first = all[1] ?? all[0]!;
    const med = median(ts);
    return {
      id: c.id, label: c.label, rules: c.rules, detections: c.detections, correlations: c.correlations,
      runsS: ts.map((t) => +t.toFixed(4)), gcS: gcTimes.get(c.id)!.map((t) => +t.toFixed(4)), medianS: med, minS: Math.min(...ts), maxS: Math.max(...ts), eventsPerS: events.length / med,
      answer: { kind: c.kind, ...byRule(c.kind, first) },
      stable: all.every((a) => a.join('\n') === first.join('\n')),
    };
  });

  // The cross-check: the same episodes (ids are sha256(rule, ip, anchor time) on both paths)?
  const a = answers.get('builtin-correlator')![0]!;
  const b = answers.get('builtin-general')![0]!;
  const [onlyBuiltin, onlyGeneral] = diff(a, b);
  const truth = readTruth(logsDir);
  const pairs = [...new Set(a.map((k) => { const [rule, , ip] = k.split(' '); return `${rule} ${ip}`; }))];
  const [pb, pt] = truth ? diff(pairs, truth) : [[], []];
  const crossCheck: SigmaBenchResult['crossCheck'] = {
    equal: onlyBuiltin.length === 0 && onlyGeneral.length === 0, builtin: a.length, general: b.length,
    onlyBuiltin: onlyBuiltin.slice(0, 20), onlyGeneral: onlyGeneral.slice(0, 20),
    sealedEqual: answers.get('builtin-sealed')![0]!.join('\n') === a.join('\n'),
    truth: truth ? { pairs: pairs.length, truthPairs: truth.length, equal: pb.length === 0 && pt.length === 0, onlyBuiltin: pb.slice(0, 20), onlyTruth: pt.slice(0, 20) } : null,
  };
  if (!crossCheck.equal) {
    // The general path applies no shared-infrastructure cap (general.ts): is that the whole difference?
    const uncapped = correlatorCase('x', 'x', builtin, { ...config, maxUsersPerIp: Number.MAX_SAFE_INTEGER, maxEventsPerIp: null }).run(events);
    const [ob, og] = diff(uncapped, b);
    crossCheck.withoutCap = { equal: ob.length === 0 && og.length === 0, builtin: uncapped.length, onlyBuiltin: ob.slice(0, 20), onlyGeneral: og.slice(0, 20) };
  }
  return { logsDir, runs, decode: stats, heapUsedMBAfterDecode, gcExposed: gc !== undefined, cases: results, crossCheck };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let runs = 3;
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--runs') runs = Number(args[++i]);
    else pos.push(args[i]!);
  }
  if (pos.length !== 2 || !Number.isInteger(runs) || runs < 1) throw new Error('usage: sigma-bench.ts LOGS_DIR OUT.json [--runs N]');
  const r = await runSigmaBench(pos[0]!, runs, (s) => void process.stderr.write(`  ${s}\n`));
  writeFileSync(pos[1]!, JSON.stringify(r, null, 2) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`sigma-bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
