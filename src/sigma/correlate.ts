// Evaluates a rule set's correlations over events that the detection rules have
// already matched (the caller says which, by rule id). The same code serves a
// batch (add everything in any order, then finish()) and a stream (add as events
// come, flush() now and then): an instant is evaluated only once the frontier,
// the newest event time less the accepted lateness, has passed it, so what comes
// out is a function of the set of events, never of the order they arrived in.
// Events later than the lateness are counted (stats.late) and not used.
//
// Episodes: the matches of one (correlation, group), in time order, fold into an
// episode until one comes more than a timespan after the episode's last match,
// which starts the next. An episode starts at the earliest event of its first
// match's window (temporal_ordered: the earliest event of the first rule), and its
// id is the SHA-256 of rule id, group values and that start — for one group-by
// field exactly the built-in correlator's sha256(rule, ip, anchor time).
//
// Memory (what grows, and its bound): per (correlation, group), the events of the
// last window (temporal_ordered: from its first first-rule event) and those not
// yet evaluated (at most the lateness behind the newest, or 32 more in a stream);
// the groups themselves, deleted at a sweep once their episode is closed and their
// newest event is a window before the frontier; an open episode's evidence, at most
// maxEvidence refs. A batch (latenessMs Infinity) holds every event until finish().
// Sweeps run at flush() and every max(8192, groups) events of a stream.
import type { Instant } from '../model/time.js';
import { countBounds } from './correlation.js';
import {
  EVENT_COUNT, TEMPORAL, TEMPORAL_ORDERED, VALUE_COUNT, episodeId, groupText, groupValues, valuesOf,
  type Vals, type WindowSpec,
} from './correlate-shapes.js';
import { GroupState, type MatchSink } from './correlate-window.js';
import type { ResolvedCorrelation, RuleSet } from './ruleset.js';

/** An event as the correlator sees it: a time, its fields, and the detection rules it matched. */
export interface CorrelationEvent {
  /** Event time, epoch milliseconds. */
  ms: number;
  /** Nanoseconds within the millisecond (default 0). */
  ns?: number;
  get(field: string): unknown;
  /** Ids of the detection rules this event matched. */
  matched: readonly string[];
  /**
   * Stable identity, listed as evidence: an event added again with the same key and
   * time counts once (merged: the rules either copy matched). Events without a key
   * are never taken for one another.
   */
  key?: string;
}

export interface CorrelationEpisode {
  /** sha256(rule id, group values, start), 32 hex digits. */
  id: string;
  ruleId: string;
  /** group-by name → value. */
  group: Record<string, string>;
  start: Instant;
  /** The last match. */
  end: Instant;
  matches: number;
  /** Contributing events' keys in time order (chained correlations: `<episode id>@<ms>.<ns>`), capped. */
  events: string[];
  /** Contributing events beyond the cap. */
  moreEvents: number;
}

export interface CorrelateOptions {
  /** How far (ms) behind the newest event time an event may arrive; Infinity (default): a batch, evaluated at finish(). */
  latenessMs?: number;
  /** Evidence refs kept per episode (default 100). */
  maxEvidence?: number;
}

export interface CorrelateStats {
  events: number;
  /** Events of correlated rules that arrived more than the lateness behind the newest event (or without a time): not used. */
  late: number;
  /** An event met again (same key, same time) in a group, merged: counted per group it reached. */
  duplicates: number;
  /** Matched a correlated rule but lacked a group-by (or value_count) field: takes no part. */
  ungrouped: number;
  episodes: number;
}

/** A group evaluates on arrival once this many of its events wait (else at the next sweep). */
const EAGER_BACKLOG = 32;

interface Consumer { corr: Corr; bit: number; fields: readonly string[]; valueField: string | null }
/** A chained correlation's input: the inner's matches, their group values picked by index. */
interface Feed { target: Corr; bit: number; groupIdx: number[]; valueIdx: number }
interface Corr {
  id: string;
  groupBy: readonly string[];
  spec: WindowSpec;
  groups: Map<string, GroupState>;
  feeds: Feed[];
  alerting: boolean;
  /** Only detections as inputs: evaluated as events arrive, not only at sweeps. */
  eager: boolean;
}

export class SigmaCorrelator implements MatchSink {
  readonly stats: CorrelateStats = { events: 0, late: 0, duplicates: 0, ungrouped: 0, episodes: 0 };
  private readonly corrs: Corr[] = [];
  private readonly consumers = new Map<string, Consumer[]>();
  private readonly lateness: number;
  private readonly maxEvidence: number;
  private newestMs = -Infinity;
  private newestNs = 0;
  private frontierMs = -Infinity;
  private frontierNs = 0;
  private seq = 0;
  private untilSweep = 8192;
  private current: Corr | null = null;
  private ready: CorrelationEpisode[] = [];

  constructor(set: RuleSet, options: CorrelateOptions = {}) {
    this.lateness = options.latenessMs ?? Infinity;
    this.maxEvidence = options.maxEvidence ?? 100;
    const byId = new Map<string, Corr>();
    for (const res of set.correlations) {
      const corr = makeCorr(res, set.alertingIds.has(res.rule.id));
      byId.set(corr.id, corr);
      this.corrs.push(corr);
      res.inputs.forEach((inp, slot) => {
        const bit = 1 << slot;
        if (inp.kind === 'detection') {
          const list = this.consumers.get(inp.id) ?? [];
          list.push({ corr, bit, fields: res.groupFields[slot]!, valueField: res.valueFields[slot]! });
          this.consumers.set(inp.id, list);
          return;
        }
        corr.eager = false;
        const vf = res.valueFields[slot];
        byId.get(inp.id)!.feeds.push({
          target: corr, bit,
          groupIdx: res.groupFields[slot]!.map((f) => inp.groupBy.indexOf(f)),
          valueIdx: vf ? inp.groupBy.indexOf(vf) : -1,
        });
      });
    }
  }

  add(ev: CorrelationEvent): void {
    const ms = ev.ms;
    const ns = ev.ns ?? 0;
    this.stats.events++;
    if (!(ms > this.frontierMs || (ms === this.frontierMs && ns >= this.frontierNs))) {
      if (ev.matched.some((id) => this.consumers.has(id))) this.stats.late++;
      return;
    }
    if (ms > this.newestMs || (ms === this.newestMs && ns > this.newestNs)) {
      this.newestMs = ms;
      this.newestNs = ns;
      if (this.lateness !== Infinity) {
        this.frontierMs = ms - this.lateness;
        this.frontierNs = ns;
      }
    }
    const seq = ++this.seq;
    for (const id of ev.matched) {
      const list = this.consumers.get(id);
      if (list === undefined) continue;
      for (const c of list) this.route(c, ev, ms, ns, seq);
    }
    if (this.lateness !== Infinity && --this.untilSweep <= 0) this.sweep(this.frontierMs, this.frontierNs);
  }

  /** Stream: the episodes that can no longer change (their last match a timespan before the frontier); a batch: none before finish(). */
  flush(): CorrelationEpisode[] {
    if (this.lateness !== Infinity) this.sweep(this.frontierMs, this.frontierNs);
    return this.take();
  }

  /** End of input: every remaining episode, ordered by start, rule, group. Later add()s are late. */
  finish(): CorrelationEpisode[] {
    this.sweep(Infinity, 0);
    this.frontierMs = Infinity;
    return this.take();
  }

  /** Groups with state, over all correlations (memory is proportional to it and their windows). */
  get groupCount(): number {
    let n = 0;
    for (const c of this.corrs) n += c.groups.size;
    return n;
  }

  /** Puts one event into its group(s) of one correlation. */
  private route(c: Consumer, ev: CorrelationEvent, ms: number, ns: number, seq: number): void {
    let vals: Vals = null;
    if (c.valueField !== null) {
      const v = ev.get(c.valueField);
      vals = typeof v === 'string' ? v : valuesOf(v);
      if (vals === null) {
        this.stats.ungrouped++;
        return;
      }
    }
    const fields = c.fields;
    const one = fields.length === 1 ? ev.get(fields[0]!) : undefined;
    const ref = ev.key ?? '';
    if (typeof one === 'string') {
      this.put(c.corr, one, null, ms, ns, ref, c.bit, vals, seq);
      return;
    }
    const combos = groupValues(ev, fields, one);
    if (combos === null) this.stats.ungrouped++;
    else for (const values of combos) this.put(c.corr, groupText(values), values, ms, ns, ref, c.bit, vals, seq);
  }

  /** Puts an event into one group (seq: the add() it comes from). */
  private put(corr: Corr, key: string, values: string[] | null, ms: number, ns: number, ref: string,
    bit: number, vals: Vals, seq: number): void {
    let g = corr.groups.get(key);
    if (g === undefined) {
      g = new GroupState(key, values ?? [key], corr.spec);
      corr.groups.set(key, g);
    }
    if (g.lastSeq === seq) {
      // The same add() again: the event matched two of the rules, and stays one event.
      g.mergeAt(g.lastIdx, bit, vals);
      return;
    }
    if (ms < g.untilMs || (ms === g.untilMs && ns < g.untilNs)) {
      this.stats.late++; // cannot happen for detections (the frontier check) nor for chained matches (sweep order)
      return;
    }
    // Evaluated a run at a time, before a new event goes in (the group's data is then in
    // cache, and an event matching two rules is never split by an evaluation); sweeps do the rest.
    if (corr.eager && g.backlog >= EAGER_BACKLOG && g.pending(this.frontierMs, this.frontierNs)) {
      this.current = corr;
      g.evaluate(corr.spec, this.frontierMs, this.frontierNs, this);
      g.prune(corr.spec);
    }
    g.lastIdx = g.push(ms, ns, ref, bit, vals, this);
    g.lastSeq = seq;
  }

  onDuplicate(): void {
    this.stats.duplicates++;
  }

  /** Evaluates every group up to the frontier, inner correlations first; closes and forgets what is done. */
  private sweep(ms: number, ns: number): void {
    for (const corr of this.corrs) {
      this.current = corr;
      const w = corr.spec.windowMs;
      for (const [key, g] of corr.groups) {
        if (g.pending(ms, ns)) g.evaluate(corr.spec, ms, ns, this);
        g.prune(corr.spec);
        const ep = g.episode;
        if (ep !== null && (ep.lastMs + w < ms || (ep.lastMs + w === ms && ep.lastNs < ns))) this.close(corr, g);
        if (g.episode === null && g.idle(ms, ns, w)) corr.groups.delete(key);
      }
    }
    let groups = 0;
    for (const c of this.corrs) groups += c.groups.size;
    this.untilSweep = Math.max(8192, groups);
  }

  /** A match of the correlation being evaluated, at (ms, ns), from the group's events [from, to). */
  onMatch(g: GroupState, ms: number, ns: number, from: number, to: number): void {
    const corr = this.current!;
    const w = corr.spec.windowMs;
    let ep = g.episode;
    if (ep !== null && (ms > ep.lastMs + w || (ms === ep.lastMs + w && ns > ep.lastNs))) {
      this.close(corr, g);
      ep = null;
    }
    if (ep === null) {
      const sm = g.ms[from]!;
      const sn = g.ns[from]!;
      ep = { id: episodeId(corr.id, g.key, sm, sn), startMs: sm, startNs: sn, lastMs: ms, lastNs: ns, matches: 0, refs: [], more: 0 };
      g.episode = ep;
    }
    ep.lastMs = ms;
    ep.lastNs = ns;
    ep.matches++;
    if (corr.alerting) {
      for (let k = Math.max(g.evidenceTo, from); k < to; k++) {
        const r = g.ref[k]!;
        if (ep.refs.length < this.maxEvidence) ep.refs.push(r !== '' ? r : `@${g.ms[k]}.${g.ns[k]}`);
        else ep.more++;
      }
    }
    if (to > g.evidenceTo) g.evidenceTo = to;
    // A chained match is an event of the outer correlation; its ref names this episode and the instant.
    for (const f of corr.feeds) {
      const values = f.groupIdx.map((i) => g.values[i]!);
      const vals = f.valueIdx >= 0 ? g.values[f.valueIdx]! : null;
      this.put(f.target, groupText(values), values, ms, ns, `${ep.id}@${ms}.${ns}`, f.bit, vals, ++this.seq);
    }
  }

  private close(corr: Corr, g: GroupState): void {
    const ep = g.episode!;
    g.episode = null;
    if (!corr.alerting) return;
    const group: Record<string, string> = {};
    corr.groupBy.forEach((f, i) => { group[f] = g.values[i]!; });
    this.stats.episodes++;
    this.ready.push({
      id: ep.id, ruleId: corr.id, group,
      start: { ms: ep.startMs, ns: ep.startNs }, end: { ms: ep.lastMs, ns: ep.lastNs },
      matches: ep.matches, events: ep.refs, moreEvents: ep.more,
    });
  }

  private take(): CorrelationEpisode[] {
    const out = this.ready;
    this.ready = [];
    return out.sort((a, b) => a.start.ms - b.start.ms || a.start.ns - b.start.ns || cmp(a.ruleId, b.ruleId) ||
      cmp(JSON.stringify(Object.values(a.group)), JSON.stringify(Object.values(b.group))));
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function makeCorr(res: ResolvedCorrelation, alerting: boolean): Corr {
  const r = res.rule;
  const n = r.rules.length;
  const kind = r.type === 'event_count' ? EVENT_COUNT : r.type === 'value_count' ? VALUE_COUNT : r.type === 'temporal' ? TEMPORAL : TEMPORAL_ORDERED;
  // Temporal types count distinct rules; without a condition, all of them.
  const b = r.condition && kind !== TEMPORAL_ORDERED ? countBounds(r.condition) : { lo: n, hi: n, neq: -1 };
  return {
    id: r.id, groupBy: r.groupBy, groups: new Map(), feeds: [], alerting, eager: true,
    spec: { kind, windowMs: r.timespanMs, slots: n, lo: b.lo, hi: b.hi, neq: b.neq },
  };
}
