// serve's general Sigma path: the rules hunt runs on its general path
// (detect/general.ts: single-event detections, event_count, value_count,
// temporal, chains), run by the service with hunt's answers whatever the order
// records arrive in.
//
//   decoders (stream-decode.ts, on the ingest workers or this thread)
//     → GeneralRow: a record some general rule's base detection takes, whole
//   commit (stream.ts, in its transaction)
//     → general_events (store/general-events-table.ts), once per record
//     → single-event detections: an alert per new record, id from rule and record
//     → correlations: each IP a new record touches is recomputed from its stored
//       records by the real GeneralDetector, its alerts upserted and the ones no
//       longer supported withdrawn — as the built-in rules' IPs are (stream.ts).
//
// Recomputing by IP gives hunt's episodes only for correlations grouped by
// source.ip all the way down (detect/ip-group.ts): serve runs those, and names
// the others as not run (a group of user.name alone gathers every IP's records:
// that needs another partitioning, not built yet).
//
// Workers cannot be handed compiled rules: they are given the rule texts the
// main thread loaded (GeneralSpec) and compile them once per spec key.
import { createHash } from 'node:crypto';
import { buildConfig, type CorrelatorConfig } from '../detect/config.js';
import { eventKey, GeneralDetector, GeneralMatcher, singleAlertId, type GeneralRules } from '../detect/general.js';
import { NOT_BY_IP, sourceIpGroupIndex } from '../detect/ip-group.js';
import { loadRuleSet, type RuleSource } from '../detect/rules.js';
import type { SigmaAlertDocument } from '../model/alert.js';
import type { DecodedEvent } from '../model/event.js';
import type { SqliteStore, GeneralEventRow } from '../store/sqlite-store.js';

/** What a worker needs to load the same general rules: the texts and the load settings. */
export interface GeneralSpec {
  /** Names this spec (a digest of the rest): a worker compiles each spec once. */
  key: string;
  sources: RuleSource[];
  pipeline?: string;
  builtinWindowMs?: number;
  /** The allowlist (engine policy: an allowlisted source feeds no source.ip correlation). */
  allow: string[];
}

/** A record a general rule took, as the decoders hand it to the commit. */
export interface GeneralRow extends GeneralEventRow {
  /** It feeds a correlation serve runs: its IP is recomputed when it is new. */
  correlates: boolean;
  /** The single-event detections that take it (each raises an alert for it). */
  singles: string[];
}

/** A general rule serve does not run, and why. */
export interface NotServed {
  id: string;
  name: string;
  why: string;
}

export { NOT_BY_IP };

/** The general rules as serve runs them: which, compiled, and what to keep of each record. */
export class ServedGeneral {
  readonly matcher: GeneralMatcher;
  /** The alerting correlations serve runs (grouped by source.ip all the way down). */
  readonly correlations: ReadonlySet<string>;
  /** The alerting single-event detections. */
  readonly singles: ReadonlySet<string>;
  /** The detections that feed the correlations serve runs, directly or through a chain. */
  private readonly feeds: ReadonlySet<string>;
  readonly notServed: NotServed[] = [];
  /** How far back from an IP's newest record its records can still matter: the longest chain of timespans. */
  readonly spanMs: number;

  constructor(readonly rules: GeneralRules, readonly config: CorrelatorConfig, readonly spec: GeneralSpec) {
    this.matcher = new GeneralMatcher(rules, config);
    const set = rules.set;
    const ipIndex = sourceIpGroupIndex(set);
    const resolved = new Map(set.correlations.map((c) => [c.rule.id, c]));
    const correlations = new Set<string>();
    const singles = new Set<string>();
    const feeds = new Set<string>();
    const span = (id: string): number => {
      const c = resolved.get(id);
      if (!c) {
        feeds.add(id);
        return 0;
      }
      return c.rule.timespanMs + Math.max(0, ...c.inputs.map((i) => span(i.id)));
    };
    let spanMs = 0;
    for (const r of set.alerting) {
      if (r.kind === 'detection') {
        singles.add(r.id);
        continue;
      }
      const c = resolved.get(r.id)!;
      if (ipIndex(c) === null) {
        this.notServed.push({ id: r.id, name: rules.meta.get(r.id)?.name ?? r.title, why: NOT_BY_IP });
        continue;
      }
      correlations.add(r.id);
      spanMs = Math.max(spanMs, span(r.id));
    }
    this.correlations = correlations;
    this.singles = singles;
    this.feeds = feeds;
    this.spanMs = spanMs;
  }

  /** Whether serve runs any general rule. */
  get runs(): boolean {
    return this.correlations.size > 0 || this.singles.size > 0;
  }

  /** What the commit needs of a record: null when no rule serve runs takes it. */
  row(d: DecodedEvent): GeneralRow | null {
    const m = this.matcher.match(d.event);
    if (!m) return null;
    const singles = m.matched.filter((id) => this.singles.has(id));
    const correlates = m.matched.some((id) => this.feeds.has(id));
    if (singles.length === 0 && !correlates) return null;
    return { key: eventKey(d.event), ip: d.event.source?.ip ?? '', atMs: d.at.ms, atNs: d.at.ns, doc: JSON.stringify(d.event), correlates, singles };
  }
}

/** The spec for the rules loaded from `sources` with these settings. */
export function generalSpec(sources: readonly RuleSource[], config: CorrelatorConfig, opts: { pipeline?: string; builtinWindowMs?: number }): GeneralSpec {
  const rest = { sources: [...sources], ...(opts.pipeline !== undefined ? { pipeline: opts.pipeline } : {}), ...(opts.builtinWindowMs !== undefined ? { builtinWindowMs: opts.builtinWindowMs } : {}), allow: [...config.allow.cidrs] };
  return { key: createHash('sha256').update(JSON.stringify(rest)).digest('hex'), ...rest };
}

const compiled = new Map<string, ServedGeneral | null>();

/** A worker's served rules for a spec, compiled on first use (the last two specs are kept: a reload overlaps its requests). */
export function servedFromSpec(spec: GeneralSpec): ServedGeneral | null {
  if (compiled.has(spec.key)) return compiled.get(spec.key)!;
  const loaded = loadRuleSet({ sources: spec.sources, ...(spec.pipeline !== undefined ? { pipeline: spec.pipeline } : {}), ...(spec.builtinWindowMs !== undefined ? { builtinWindowMs: spec.builtinWindowMs } : {}) });
  const config = buildConfig({ allow: spec.allow });
  const served = loaded.general ? new ServedGeneral(loaded.general, config, spec) : null;
  if (compiled.size >= 2) compiled.delete(compiled.keys().next().value!);
  compiled.set(spec.key, served);
  return served;
}

/** What one commit's general part changed, for the replies and onAlert. */
export interface GeneralCommit {
  /** Per batch, the alerts created and updated. */
  created: number[];
  updated: number[];
  notes: Array<['created' | 'updated' | 'withdrawn', string]>;
  /** The IPs whose correlations the commit's new records can change (marked dirty in the store), and the batch that first touched each. */
  touched: Map<string, number>;
}

/**
 * The general part of a commit (inside its transaction): stores the batches'
 * rows, raises the single-event alerts of new records, and marks the IPs whose
 * correlations new records can change as dirty, with the time range touched
 * (in the store, in the same transaction: a crash before their recomputation
 * leaves them dirty for the next start). settleGeneral recomputes them, in this
 * commit or later (StreamPipeline's generalSettle).
 */
export function commitGeneral(store: SqliteStore, served: ServedGeneral, batches: ReadonlyArray<readonly GeneralRow[]>, now: Date): GeneralCommit {
  const out: GeneralCommit = { created: batches.map(() => 0), updated: batches.map(() => 0), notes: [], touched: new Map() };
  const at = now.toISOString();
  /** Per IP touched: the batch that first did, and the new records' time range. */
  const dirty = new Map<string, { bi: number; from: number; to: number }>();
  // (Made for the commits that have single-event records only: most have none.)
  const made: { singles: GeneralDetector | null } = { singles: null };
  const singleBatch = new Map<string, number>();
  batches.forEach((rows, bi) => {
    if (rows.length === 0) return;
    const fresh = store.insertGeneralEvents(rows);
    rows.forEach((r, i) => {
      if (!fresh[i]) return;
      if (r.correlates && r.ip !== '') {
        const d = dirty.get(r.ip);
        if (d) {
          d.from = Math.min(d.from, r.atMs);
          d.to = Math.max(d.to, r.atMs);
        } else dirty.set(r.ip, { bi, from: r.atMs, to: r.atMs });
      }
      if (r.singles.length > 0) {
        made.singles ??= new GeneralDetector(served.rules, served.config, served.matcher);
        made.singles.add({ at: { ms: r.atMs, ns: r.atNs }, event: JSON.parse(r.doc) as DecodedEvent['event'] });
        for (const id of r.singles) singleBatch.set(singleAlertId(id, r.key, { ms: r.atMs, ns: r.atNs }), bi);
      }
    });
  });
  if (made.singles) {
    // One alert per new record and rule: its id is the rule's and the record's, so a record met again finds it.
    for (const doc of made.singles.finish(now)) {
      if (!served.singles.has(doc.rule.id)) continue;
      const r = store.upsertAlert(doc, at, new Set(), { takeover: false });
      if (r.change === 'unchanged') continue;
      const bi = singleBatch.get(doc.event.id) ?? 0;
      if (r.change === 'created') out.created[bi]!++;
      else out.updated[bi]!++;
      out.notes.push([r.change, r.id]);
    }
  }
  for (const [ip, d] of dirty) {
    store.markGeneralDirty(ip, d.from, d.to);
    out.touched.set(ip, d.bi);
  }
  return out;
}

/**
 * Recomputes up to `maxIps` dirty IPs (call inside a transaction): for each, the
 * spans of its records around the range its new records touched. Returns per IP
 * what changed.
 */
export function settleGeneral(store: SqliteStore, served: ServedGeneral, now: Date, maxIps = Number.MAX_SAFE_INTEGER): Map<string, Array<['created' | 'updated' | 'unchanged' | 'withdrawn', string]>> {
  const out = new Map<string, Array<['created' | 'updated' | 'unchanged' | 'withdrawn', string]>>();
  for (const { ip, fromMs, toMs } of store.generalDirty(maxIps)) {
    const touched = store.generalTimesForIp(ip).filter((t) => t >= fromMs && t <= toMs);
    out.set(ip, touched.length > 0 ? recomputeGeneralIp(store, served, ip, now, touched) : []);
    store.cleanGeneralDirty(ip);
  }
  return out;
}

/**
 * The spans of an IP's records that new records (at `touched`, ms) can change:
 * around each, out to the first gap longer than `gapMs` on either side. No
 * match, so no episode, reaches across such a gap (a match's records lie
 * within its correlation's span, chains included, and a match more than a
 * timespan after the last one starts a new episode), so each span is
 * recomputed alone. `times` ascending.
 */
export function touchedSpans(times: readonly number[], touched: readonly number[], gapMs: number): Array<{ fromMs: number; toMs: number }> {
  const spans: Array<{ fromMs: number; toMs: number }> = [];
  const sorted = [...touched].sort((a, b) => a - b);
  let lo = 0;
  for (const t of sorted) {
    const last = spans[spans.length - 1];
    if (last && t <= last.toMs) continue;
    // First index at or after t (t is one of the times: the record is stored).
    while (lo < times.length && times[lo]! < t) lo++;
    let a = Math.min(lo, times.length - 1);
    while (a > 0 && times[a]! - times[a - 1]! <= gapMs) a--;
    let b = Math.min(lo, times.length - 1);
    while (b < times.length - 1 && times[b + 1]! - times[b]! <= gapMs) b++;
    const span = { fromMs: Math.min(times[a]!, t), toMs: Math.max(times[b]!, t) };
    if (last && span.fromMs <= last.toMs) last.toMs = Math.max(last.toMs, span.toMs);
    else spans.push(span);
  }
  return spans;
}

/**
 * Recomputes one IP's general correlations, around the records at `touched`
 * (ms; all of its records when not given), from its stored records, and stores
 * their alerts: an episode whose start moved (a late earlier record, or the
 * eviction of its first ones) keeps its alert, re-keyed or not as the built-in
 * rules' are (AlertsTable.upsertAlert); alerts of those spans no episode
 * supports any more are withdrawn.
 */
export function recomputeGeneralIp(store: SqliteStore, served: ServedGeneral, ip: string, now: Date, touched?: readonly number[]): Array<['created' | 'updated' | 'unchanged' | 'withdrawn', string]> {
  const times = store.generalTimesForIp(ip);
  if (times.length === 0) return [];
  const spans = touched ? touchedSpans(times, touched, served.spanMs) : [{ fromMs: times[0]!, toMs: times[times.length - 1]! }];
  const changes: Array<['created' | 'updated' | 'unchanged' | 'withdrawn', string]> = [];
  const at = now.toISOString();
  for (const span of spans) {
    const det = new GeneralDetector(served.rules, served.config, served.matcher);
    for (const d of store.generalEventsForIp(ip, span.fromMs, span.toMs)) det.add(d);
    // (Every record here is of this IP: its alerts are filed under it.)
    const docs: SigmaAlertDocument[] = det.finish(now).filter((d) => served.correlations.has(d.rule.id)).map((d) => ({ ...d, source: { ip } }));
    const scope = { rules: served.correlations, horizonMs: store.generalHorizon(ip), within: span };
    changes.push(...store.storeRecomputation(ip, docs, at, 'withdrawn: later records no longer support it', scope));
  }
  return changes;
}
