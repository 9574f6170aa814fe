// Why each rule of hunt's general Sigma path (general.ts: single-event
// detections, event_count, value_count, temporal, temporal_ordered of other
// shapes, chains) did or did not fire for one source IP: data, for explain.ts
// to put in its IpExplanation (`general`).
//
// The verdict is the real GeneralDetector's, run over the IP's events: "fired"
// means it made an alert (an episode of that rule whose group is the IP, or a
// single-event alert), with hunt's alert ids. The figures beside it are this
// file's own walk of the same semantics (sigma/correlate-window.ts): per group,
// every instant at which the group has an event is evaluated over the window
// [t - timespan, t]; the best window is the one that held first or else came
// nearest to the condition ("2 events … in [10:01, 10:11] (the most in any 10m
// window): 2 < 3"). test/explain-general.test.ts checks on random inputs that
// the walk holds exactly where the correlator makes an episode.
//
// Only correlations whose group-by carries source.ip (for every rule, through
// aliases and chains) can be explained for an IP: a group of any other field
// gathers events of any IP, so those say "explain by IP does not apply". A
// group-by of source.ip and other fields (user.name) is explained per group
// found among the IP's events.
import type { DecodedEvent } from '../model/event.js';
import { fieldsOf } from '../model/fields.js';
import { specialPurpose } from '../model/ip.js';
import { diffMs, formatDuration, formatInstant, type Instant } from '../model/time.js';
import { countBounds } from '../sigma/correlation.js';
import { groupText, groupValues, valuesOf } from '../sigma/correlate-shapes.js';
import type { ResolvedCorrelation } from '../sigma/ruleset.js';
import type { CorrelationRule, CorrelationType, CountCondition, DetectionRule as SigmaDetection, SigmaRule } from '../sigma/types.js';
import type { CorrelatorConfig } from './config.js';
import { eventKey, GeneralDetector, singleAlertId, type GeneralRules } from './general.js';
import { sourceIpGroupIndex } from './ip-group.js';
import { logSourceTest } from './logsource.js';
import { eventTest } from './rule.js';
import { logSourceText, sigmaMiss } from './explain-text.js';

/** A record of the IP, as the general rules' explanations list it. */
export interface GeneralEvent {
  at: string;
  user?: string;
  action?: string;
  outcome?: string;
  dataset: string;
  id?: string;
  userAgent?: string;
  /** A network alert's signature. */
  signature?: string;
  /** Where it was read (file:line), when the caller knows. */
  where?: string;
  /** A single-event detection: the id of the alert hunt raises for it. */
  alert?: string;
}

/** What one Sigma detection makes of the IP's records. */
export interface DetectionSide {
  /** Its log source, written ("product azure, service signinlogs"). */
  logsource: string;
  /** The records it takes, in time order (a record delivered again counts once); at most MAX_LISTED_GENERAL_EVENTS. */
  matched: GeneralEvent[];
  matchedCount: number;
  matchedOmitted: number;
  /** Records of its log source it does not take (a record delivered again counts once): how many, and the first few in time order with the selection that failed and why. */
  notMatched: { count: number; sample: Array<GeneralEvent & { miss: string }> };
  /** The IP's records outside its log source. */
  outsideLogSource: number;
}

/** A detection that alerts on each record it takes. */
export interface SingleRuleExplanation extends DetectionSide {
  kind: 'detection';
  id: string;
  name: string;
  fired: boolean;
  /** One line: how many alerts, or the main reason there is none. */
  summary: string;
  /** Every reason it did not fire (empty when it fired). */
  reasons: string[];
}

/** An alert of a correlation: the real correlator's episode, with hunt's id. */
export interface GeneralEpisode {
  id: string;
  start: string;
  end: string;
  group: Record<string, string>;
}

/** A window of one group: [start, end] = [t - timespan, t] for an instant t of the group. */
export interface WindowExplanation {
  start: string;
  end: string;
  /** What the condition counts in it: events (event_count), distinct values (value_count), distinct rules (temporal). */
  count: number;
  /** Events in it (a record matching two of the rules is one). */
  events: number;
  /** value_count: the distinct values (at most MAX_LISTED_VALUES). */
  values?: string[];
  /** temporal: the rules seen in it and those missing (names as the correlation writes them). */
  seen?: string[];
  missing?: string[];
}

/** One group of a correlation among the IP's events. */
export interface GroupExplanation {
  /** group-by field → value. */
  group: Record<string, string>;
  /** Instants (the group's event times) at which the condition holds. */
  holds: number;
  /** The first such instant. */
  first?: string;
  /** The window that held first, or else the one that came nearest to the condition (temporal_ordered: when it held). */
  best: WindowExplanation | null;
  /** temporal_ordered: the group's events in time order, by rule (at most MAX_LISTED_SEQUENCE instants). */
  sequence?: Array<{ at: string; rules: string[] }>;
  /** One line: where it held, or why not, with the figures. */
  verdict: string;
}

/** What one referenced rule gives a correlation for the IP. */
export type InputExplanation =
  | (DetectionSide & {
    kind: 'detection';
    /** As the correlation names it. */
    ref: string;
    id: string;
    /** Records it takes that lack a group-by field (or value_count's field): they take no part. */
    ungrouped: number;
    /** The IP is special-purpose or allowlisted and a correlation grouped by source.ip uses the rule: engine policy drops its records. */
    excluded: boolean;
  })
  | { kind: 'correlation'; ref: string; id: string; inner: CorrelationRuleExplanation };

export interface CorrelationRuleExplanation {
  kind: 'correlation';
  id: string;
  name: string;
  /** Whether it raises alerts of its own; one only a chain uses "held" or not. */
  alerting: boolean;
  type: CorrelationType;
  /** "event_count of failed_signin", "temporal_ordered of password_spray → successful_signin". */
  shape: string;
  groupBy: string[];
  /** The group-by entry that carries the source IP for every rule; null: none does, explain by IP does not apply. */
  ipField: string | null;
  timespan: string;
  timespanMs: number;
  /** The condition, written ("gte 3", "user.name: gte 3", "all 2 rules in order"). */
  condition: string;
  /** Fired (alerting) or held (otherwise) for the IP; null when that cannot be said per IP. */
  fired: boolean | null;
  summary: string;
  /** Every reason it did not fire or hold, the inner correlations' first (empty when it did). */
  reasons: string[];
  /** Per referenced rule, in order. */
  inputs: InputExplanation[];
  /** Per group found among the IP's events (those that held first, at most MAX_LISTED_GROUPS). */
  groups: GroupExplanation[];
  groupsOmitted: number;
  /** The real correlator's episodes for the IP (alerting rules only): hunt's alerts. */
  episodes: GeneralEpisode[];
}

/** A general rule where it is not run (serve). */
export interface NotRunExplanation {
  kind: 'not-run';
  id: string;
  name: string;
  fired: null;
  summary: string;
  reasons: string[];
}

export type GeneralRuleExplanation = SingleRuleExplanation | CorrelationRuleExplanation | NotRunExplanation;

export const MAX_LISTED_GENERAL_EVENTS = 50;
export const MAX_MISS_SAMPLE = 5;
export const MAX_LISTED_GROUPS = 20;
export const MAX_LISTED_VALUES = 20;
export const MAX_LISTED_SEQUENCE = 20;

export interface GeneralExplainOptions {
  /** Special-purpose or allowlisted: the message saying so (explain.ts's). */
  excluded: { message: string } | null;
  where?: (ev: DecodedEvent) => string | undefined;
}

// --- The correlator's notions, as general.ts and sigma/correlate*.ts have them. ---

const EVENT_COUNT = 0;
const VALUE_COUNT = 1;
const TEMPORAL = 2;
const TEMPORAL_ORDERED = 3;

interface Spec { kind: number; w: number; slots: number; lo: number; hi: number; neq: number }

/** correlate.ts makeCorr. */
function specOf(r: CorrelationRule): Spec {
  const n = r.rules.length;
  const kind = r.type === 'event_count' ? EVENT_COUNT : r.type === 'value_count' ? VALUE_COUNT : r.type === 'temporal' ? TEMPORAL : TEMPORAL_ORDERED;
  const b = r.condition && kind !== TEMPORAL_ORDERED ? countBounds(r.condition) : { lo: n, hi: n, neq: -1 };
  return { kind, w: r.timespanMs, slots: n, lo: b.lo, hi: b.hi, neq: b.neq };
}

/** An event of one group: time, key (equal key and time: one event), the rules it matched (bits), value_count values. */
interface Item { ms: number; ns: number; key: string; mask: number; vals: string[] | null }

/** One group's walk: every instant evaluated, the best window, and temporal_ordered's runs. */
interface Walk {
  holds: Instant[];
  best: { t: Instant; count: number; events: number; values?: string[]; mask?: number; held: boolean; run?: Instant } | null;
  /** temporal_ordered: per rule, the first instant an in-order run ending with it existed. */
  firstDone?: Array<Instant | null>;
  /** temporal_ordered: the shortest complete in-order run (start, end). */
  tightest?: { start: Instant; end: Instant } | null;
  /** Per rule, whether the group has an event of it. */
  present: number;
}

const before = (ams: number, ans: number, bms: number, bns: number): boolean => ams < bms || (ams === bms && ans < bns);

/** The group's events sorted by time then key, an event met again (same key and time) merged into the first. */
function merged(items: Item[]): Item[] {
  items.sort((a, b) => a.ms - b.ms || a.ns - b.ns || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const out: Item[] = [];
  for (const it of items) {
    const last = out[out.length - 1];
    if (last && it.key !== '' && last.key === it.key && last.ms === it.ms && last.ns === it.ns) {
      last.mask |= it.mask;
      if (it.vals) last.vals = last.vals ? [...new Set([...last.vals, ...it.vals])] : it.vals;
      continue;
    }
    out.push({ ...it });
  }
  return out;
}

/** How far a count is from the condition (0: it holds). */
function distance(count: number, s: Spec): number {
  if (count < s.lo) return s.lo - count;
  if (count > s.hi) return count - s.hi;
  return count === s.neq ? 1 : 0;
}

/** correlate-window.ts GroupState.evaluate over one group's merged events. */
function walk(items: readonly Item[], s: Spec): Walk {
  const holds: Instant[] = [];
  let best: Walk['best'] = null;
  let bestDist = Infinity;
  const slotCount = new Int32Array(s.slots);
  let distinct = 0;
  const valueCount = new Map<string, number>();
  const bestMs = new Float64Array(s.slots).fill(-Infinity);
  const bestNs = new Float64Array(s.slots);
  const firstDone: Array<Instant | null> = new Array<Instant | null>(s.slots).fill(null);
  let tightest: Walk['tightest'] = null;
  let present = 0;
  const enter = (it: Item): void => {
    present |= it.mask;
    for (let k = 0, m = it.mask; m !== 0; k++, m >>>= 1) if ((m & 1) !== 0 && slotCount[k]!++ === 0) distinct++;
    if (it.vals) for (const v of it.vals) valueCount.set(v, (valueCount.get(v) ?? 0) + 1);
  };
  const leave = (it: Item): void => {
    for (let k = 0, m = it.mask; m !== 0; k++, m >>>= 1) if ((m & 1) !== 0 && --slotCount[k]! === 0) distinct--;
    if (it.vals) {
      for (const v of it.vals) {
        const c = valueCount.get(v)! - 1;
        if (c === 0) valueCount.delete(v);
        else valueCount.set(v, c);
      }
    }
  };
  let lo = 0;
  let i = 0;
  while (i < items.length) {
    const tm = items[i]!.ms;
    const tn = items[i]!.ns;
    let j = i;
    let mask = 0;
    for (; j < items.length && items[j]!.ms === tm && items[j]!.ns === tn; j++) {
      mask |= items[j]!.mask;
      enter(items[j]!);
    }
    const lowMs = tm - s.w;
    while (before(items[lo]!.ms, items[lo]!.ns, lowMs, tn)) leave(items[lo++]!);
    const t: Instant = { ms: tm, ns: tn };
    if (s.kind === TEMPORAL_ORDERED) {
      for (let k = 0; k < s.slots; k++) {
        if ((mask & (1 << k)) === 0) continue;
        const sm = k === 0 ? tm : bestMs[k - 1]!;
        const sn = k === 0 ? tn : bestNs[k - 1]!;
        if (sm > bestMs[k]! || (sm === bestMs[k]! && sn > bestNs[k]!)) {
          bestMs[k] = sm;
          bestNs[k] = sn;
          if (firstDone[k] === null && sm !== -Infinity) firstDone[k] = t;
        }
      }
      const last = s.slots - 1;
      if ((mask & (1 << last)) !== 0 && bestMs[last]! !== -Infinity) {
        const start: Instant = { ms: bestMs[last]!, ns: bestNs[last]! };
        const ok = start.ms > lowMs || (start.ms === lowMs && start.ns >= tn);
        if (ok) {
          holds.push(t);
          if (!best) best = { t, count: s.slots, events: j - lo, held: true, run: start };
        }
        if (!tightest || diffMs(t, start) < diffMs(tightest.end, tightest.start)) tightest = { start, end: t };
      }
    } else {
      const count = s.kind === EVENT_COUNT ? j - lo : s.kind === VALUE_COUNT ? valueCount.size : distinct;
      const d = distance(count, s);
      if (d === 0) holds.push(t);
      if (d < bestDist) {
        bestDist = d;
        let seen = 0;
        for (let k = 0; k < s.slots; k++) if (slotCount[k]! > 0) seen |= 1 << k;
        best = {
          t, count, events: j - lo, held: d === 0,
          ...(s.kind === VALUE_COUNT ? { values: [...valueCount.keys()].sort().slice(0, MAX_LISTED_VALUES) } : {}),
          ...(s.kind === TEMPORAL ? { mask: seen } : {}),
        };
      }
    }
    i = j;
  }
  return { holds, best, present, ...(s.kind === TEMPORAL_ORDERED ? { firstDone, tightest } : {}) };
}

// --- The explanation. ---

function generalEvent(d: DecodedEvent, where: (d: DecodedEvent) => string | undefined): GeneralEvent {
  const ev = d.event;
  const user = ev.user?.name ?? ev.user?.email;
  const w = where(d);
  return {
    at: formatInstant(d.at),
    ...(user !== undefined ? { user } : {}),
    ...(ev.event.action !== undefined ? { action: ev.event.action } : {}),
    ...(ev.event.outcome !== undefined ? { outcome: ev.event.outcome } : {}),
    dataset: ev.event.dataset,
    ...(ev.event.id !== undefined ? { id: ev.event.id } : {}),
    ...(ev.user_agent?.original !== undefined ? { userAgent: ev.user_agent.original } : {}),
    ...(ev.rule?.name !== undefined ? { signature: ev.rule.name } : {}),
    ...(w !== undefined ? { where: w } : {}),
  };
}

const byAt = (a: DecodedEvent, b: DecodedEvent): number => a.at.ms - b.at.ms || a.at.ns - b.at.ns;

/** "gte 3", "gte 2 and lt 10" (the bounds as written). */
function boundsText(c: CountCondition | undefined): string {
  if (!c) return '';
  return (['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const).filter((k) => c[k] !== undefined).map((k) => `${k} ${c[k]}`).join(' and ');
}

function conditionText(r: CorrelationRule): string {
  const n = r.rules.length;
  if (r.type === 'temporal_ordered') return `all ${n} rules in order`;
  if (r.type === 'temporal') return r.condition ? `${boundsText(r.condition)} of the ${n} rules` : `all ${n} rules`;
  if (r.type === 'value_count') return `${r.condition?.field ?? '?'}: ${boundsText(r.condition)}`;
  return boundsText(r.condition);
}

/** "2 < 3", "12 > 10", "1 = neq 1": how a count misses the condition. */
function missFigure(count: number, s: Spec): string {
  if (count < s.lo) return `${count} < ${s.lo}`;
  if (count > s.hi) return `${count} > ${s.hi}`;
  return `${count} = neq ${s.neq}`;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

class Explainer {
  private readonly alerts = new Map<string, Array<{ id: string; start: string; end: string; group: Record<string, string> }>>();
  private readonly byIpInputs = new Set<string>();
  private readonly matchCache = new Map<string, { matched: DecodedEvent[]; notMatched: DecodedEvent[]; outside: number }>();
  private readonly corrCache = new Map<string, { c: CorrelationRuleExplanation; groups: Map<string, { values: string[]; holds: Instant[] }> }>();
  private readonly keys = new Map<DecodedEvent, string>();
  private readonly resolved = new Map<string, ResolvedCorrelation>();
  private readonly policy: boolean;

  constructor(private readonly ip: string, private readonly mine: readonly DecodedEvent[], private readonly general: GeneralRules,
    config: CorrelatorConfig, private readonly opts: GeneralExplainOptions) {
    this.ipIndex = sourceIpGroupIndex(general.set);
    for (const c of general.set.correlations) {
      this.resolved.set(c.rule.id, c);
      if (c.rule.groupBy.includes('source.ip')) for (const i of c.inputs) this.byIpInputs.add(i.id);
    }
    // general.ts's policy: a correlation grouped by source.ip takes no event of a special-purpose or allowlisted source IP.
    this.policy = specialPurpose.match(ip) !== null || config.allow.match(ip) !== null;
    // The verdicts: the real detector over the same events.
    const detector = new GeneralDetector(general, config);
    for (const d of mine) detector.add(d);
    for (const a of detector.finish(new Date(0))) {
      const list = this.alerts.get(a.rule.id) ?? [];
      list.push({ id: a.event.id, start: a.event.start, end: a.event.end, group: a.crosswatch.group ?? {} });
      this.alerts.set(a.rule.id, list);
    }
    for (const d of mine) this.keys.set(d, eventKey(d.event));
  }

  private where(d: DecodedEvent): string | undefined {
    return this.opts.where?.(d);
  }

  /** Which of the IP's records the detection takes (in the order given), which of its log source it does not, how many are outside it. */
  private matches(rule: SigmaDetection): { matched: DecodedEvent[]; notMatched: DecodedEvent[]; outside: number } {
    let m = this.matchCache.get(rule.id);
    if (m) return m;
    const source = logSourceTest(rule.logsource);
    const test = eventTest(rule);
    m = { matched: [], notMatched: [], outside: 0 };
    for (const d of this.mine) {
      if (typeof source === 'string' || typeof test === 'string' || !source(d.event)) m.outside++;
      else if (test(d.event)) m.matched.push(d);
      else m.notMatched.push(d);
    }
    this.matchCache.set(rule.id, m);
    return m;
  }

  /** The detection's side, a record counted once: by key (single-event alerts), or by key and time (as a correlation counts). */
  private side(rule: SigmaDetection, once: 'key' | 'key-time', alertOf?: (d: DecodedEvent) => string | undefined): DetectionSide {
    const m = this.matches(rule);
    const seen = new Set<string>();
    const unique: DecodedEvent[] = [];
    for (const d of m.matched) {
      const k = once === 'key' ? this.keys.get(d)! : `${this.keys.get(d)!}\u0000${d.at.ms}.${d.at.ns}`;
      if (seen.has(k)) continue;
      seen.add(k);
      unique.push(d);
    }
    const listed = [...unique].sort(byAt);
    const missed = new Set<string>();
    const notMatched = m.notMatched.filter((d) => {
      const k = `${this.keys.get(d)!}\u0000${d.at.ms}.${d.at.ns}`;
      if (missed.has(k)) return false;
      missed.add(k);
      return true;
    });
    const misses = notMatched.sort(byAt).slice(0, MAX_MISS_SAMPLE);
    return {
      logsource: logSourceText(rule.logsource),
      matched: listed.slice(0, MAX_LISTED_GENERAL_EVENTS).map((d) => {
        const alert = alertOf?.(d);
        return { ...generalEvent(d, (x) => this.where(x)), ...(alert !== undefined ? { alert } : {}) };
      }),
      matchedCount: listed.length,
      matchedOmitted: Math.max(0, listed.length - MAX_LISTED_GENERAL_EVENTS),
      notMatched: { count: notMatched.length, sample: misses.map((d) => ({ ...generalEvent(d, (x) => this.where(x)), miss: sigmaMiss(rule, d.event) })) },
      outsideLogSource: m.outside,
    };
  }

  /** general.ts's engine policy, said. */
  private policyReason(): string {
    return `${this.opts.excluded?.message ?? `${this.ip} is special-purpose or allowlisted`} (engine policy, as for the built-ins: a correlation grouped by source.ip takes no record of it)`;
  }

  /** Why a detection took none of the IP's records. */
  private static noneTaken(name: string, id: string, side: DetectionSide): string {
    if (side.notMatched.count > 0) {
      const first = side.notMatched.sample[0]!;
      const why = first.miss.startsWith(`${id} does not take it: `) ? first.miss.slice(`${id} does not take it: `.length) : first.miss;
      return side.notMatched.count === 1
        ? `${name} does not take the one record of its log source from this IP: ${why}`
        : `${name} takes none of the ${side.notMatched.count} records of its log source from this IP; the first (${first.at}): ${why}`;
    }
    return `no record of the log source of ${name} (${side.logsource}) from this IP${side.outsideLogSource > 0 ? ` (${plural(side.outsideLogSource, 'other record', 'other records')})` : ''}`;
  }

  single(rule: SigmaDetection): SingleRuleExplanation {
    const alerts = this.alerts.get(rule.id) ?? [];
    const dropped = this.policy && this.byIpInputs.has(rule.id);
    // The alert of the first time a record came (general.ts singles), if the detector made it.
    const made = new Set(alerts.map((a) => a.id));
    const side = this.side(rule, 'key', (d) => {
      const id = singleAlertId(rule.id, this.keys.get(d)!, d.at);
      return made.has(id) ? id : undefined;
    });
    const name = this.general.meta.get(rule.id)?.name ?? rule.title;
    const fired = alerts.length > 0;
    const reasons: string[] = [];
    if (!fired) {
      if (dropped && side.matchedCount > 0) reasons.push(`${this.policyReason()}, and uses ${rule.id}`);
      if (side.matchedCount === 0) reasons.push(Explainer.noneTaken(rule.id, rule.id, side));
      if (reasons.length === 0) reasons.push('no alert');
    }
    return {
      kind: 'detection', id: rule.id, name, fired,
      summary: fired ? `fired: ${plural(alerts.length, 'alert', 'alerts')}, one per record it takes` : `did not fire: ${reasons[0]}`,
      reasons, ...side,
    };
  }

  /** The group-by index that carries source.ip for every rule of the correlation (through aliases and chains), or null. */
  private readonly ipIndex: (res: ResolvedCorrelation) => number | null;

  correlation(id: string): CorrelationRuleExplanation {
    return this.corr(id).c;
  }

  private corr(id: string): { c: CorrelationRuleExplanation; groups: Map<string, { values: string[]; holds: Instant[] }> } {
    const cached = this.corrCache.get(id);
    if (cached) return cached;
    const res = this.resolved.get(id)!;
    const r = res.rule;
    const spec = specOf(r);
    const ipIdx = this.ipIndex(res);
    const alerting = this.general.meta.has(r.id);
    const refs = r.rules;
    const groups = new Map<string, { values: string[]; items: Item[] }>();
    const put = (values: string[], item: Item): void => {
      const key = groupText(values);
      let g = groups.get(key);
      if (!g) {
        g = { values, items: [] };
        groups.set(key, g);
      }
      g.items.push(item);
    };
    /** Per rule, the fields its records must have to take part: the group-by's, and value_count's. */
    const needs = res.inputs.map((_, slot) => [...res.groupFields[slot]!, ...(res.valueFields[slot] ? [res.valueFields[slot]] : [])]);
    const inputs: InputExplanation[] = res.inputs.map((inp, slot): InputExplanation => {
      const bit = 1 << slot;
      if (inp.kind === 'correlation') {
        const inner = this.corr(inp.id);
        if (ipIdx !== null) {
          // correlate.ts feeds: each instant the inner holds is an event of this one, its group values picked by name.
          const groupIdx = res.groupFields[slot]!.map((f) => inp.groupBy.indexOf(f));
          const vf = res.valueFields[slot];
          const valueIdx = vf ? inp.groupBy.indexOf(vf) : -1;
          for (const [gk, g] of inner.groups) {
            for (const t of g.holds) {
              put(groupIdx.map((k) => g.values[k]!), { ms: t.ms, ns: t.ns, key: `${inp.id}\u0000${gk}@${t.ms}.${t.ns}`, mask: bit, vals: valueIdx >= 0 ? [g.values[valueIdx]!] : null });
            }
          }
        }
        return { kind: 'correlation', ref: refs[slot]!, id: inp.id, inner: inner.c };
      }
      const side = this.side(inp, 'key-time');
      const excluded = this.policy && this.byIpInputs.has(inp.id);
      let ungrouped = 0;
      if (ipIdx !== null && !excluded) {
        const fields = res.groupFields[slot]!;
        const vf = res.valueFields[slot] ?? null;
        for (const d of this.matches(inp).matched) {
          const get = fieldsOf(d.event);
          let vals: string[] | null = null;
          if (vf !== null) {
            const v = get(vf);
            vals = typeof v === 'string' ? [v] : valuesOf(v);
            if (vals === null) {
              ungrouped++;
              continue;
            }
          }
          const one = fields.length === 1 ? get(fields[0]!) : undefined;
          const combos = typeof one === 'string' ? [[one]] : groupValues({ get }, fields, one);
          if (combos === null) {
            ungrouped++;
            continue;
          }
          for (const values of combos) put(values, { ms: d.at.ms, ns: d.at.ns, key: this.keys.get(d)!, mask: bit, vals });
        }
      }
      return { kind: 'detection', ref: refs[slot]!, id: inp.id, ungrouped, excluded, ...side };
    });

    const shape = `${r.type} of ${refs.join(r.type === 'temporal_ordered' ? ' → ' : ', ')}`;
    const base = {
      kind: 'correlation' as const, id: r.id, name: this.general.meta.get(r.id)?.name ?? r.title, alerting, type: r.type, shape,
      groupBy: [...r.groupBy], ipField: ipIdx !== null ? r.groupBy[ipIdx]! : null, timespan: r.timespanText, timespanMs: r.timespanMs,
      condition: conditionText(r),
    };
    const held = new Map<string, { values: string[]; holds: Instant[] }>();
    if (ipIdx === null) {
      const c: CorrelationRuleExplanation = {
        ...base, fired: null,
        summary: `grouped by ${r.groupBy.join(', ') || 'nothing (one group)'}: explain by IP does not apply (its groups take records of any IP)`,
        reasons: [], inputs, groups: [], groupsOmitted: 0, episodes: [],
      };
      const out = { c, groups: held };
      this.corrCache.set(id, out);
      return out;
    }

    // Each group of the IP, walked.
    const explained: Array<GroupExplanation & { dist: number }> = [];
    for (const [gk, g] of groups) {
      if (g.values[ipIdx] !== this.ip) continue;
      const items = merged(g.items);
      const wk = walk(items, spec);
      held.set(gk, { values: g.values, holds: wk.holds });
      const group: Record<string, string> = {};
      r.groupBy.forEach((f, k) => { group[f] = g.values[k]!; });
      explained.push(this.group(r, spec, group, items, wk));
    }
    explained.sort((a, b) => a.dist - b.dist);
    const episodes = (this.alerts.get(r.id) ?? []).filter((e) => e.group[r.groupBy[ipIdx]!] === this.ip);
    const fired = alerting ? episodes.length > 0 : explained.some((g) => g.holds > 0);
    const several = r.groupBy.length > 1;
    const label = (g: GroupExplanation): string => (several ? `group ${Object.entries(g.group).map(([k, v]) => `${k} ${v}`).join(', ')}: ` : '');
    const reasons: string[] = [];
    if (!fired) {
      const policy = this.policyReason();
      if (this.policy && (r.groupBy.includes('source.ip') || inputs.some((x) => x.kind === 'detection' && x.excluded && x.matchedCount > 0))) reasons.push(policy);
      for (const x of inputs) {
        if (x.kind === 'correlation') {
          if (x.inner.fired !== true && x.inner.reasons[0] !== policy) reasons.push(`${x.ref} never held for ${this.ip}: ${x.inner.reasons[0] ?? x.inner.summary}`);
        } else {
          if (x.matchedCount === 0) reasons.push(Explainer.noneTaken(x.ref, x.id, x));
          if (x.ungrouped > 0) reasons.push(`${plural(x.ungrouped, 'record', 'records')} of ${x.ref} lack ${needs[inputs.indexOf(x)]!.join(' or ')}: they take no part`);
        }
      }
      for (const g of explained) if (g.holds === 0) reasons.push(`${label(g)}${g.verdict}`);
      if (reasons.length === 0) reasons.push('no record of this IP takes part');
    }
    const word = alerting ? { yes: 'fired', no: 'did not fire' } : { yes: 'held', no: 'never held' };
    const heldGroups = explained.filter((g) => g.holds > 0);
    const summary = fired
      ? alerting
        ? `fired: ${plural(episodes.length, 'episode', 'episodes')} (${episodes.map((e) => e.id).join(', ')}); ${label(heldGroups[0] ?? explained[0]!)}${(heldGroups[0] ?? explained[0])?.verdict ?? ''}`
        : `held: ${label(heldGroups[0]!)}${heldGroups[0]!.verdict}`
      : `${word.no}: ${reasons[0]}`;
    const c: CorrelationRuleExplanation = {
      ...base, fired, summary, reasons, inputs,
      groups: explained.slice(0, MAX_LISTED_GROUPS).map(({ dist: _d, ...g }) => g),
      groupsOmitted: Math.max(0, explained.length - MAX_LISTED_GROUPS),
      episodes: alerting ? episodes : [],
    };
    const out = { c, groups: held };
    this.corrCache.set(id, out);
    return out;
  }

  /** One group's explanation from its walk; dist orders them (held first, then the nearest). */
  private group(r: CorrelationRule, s: Spec, group: Record<string, string>, items: readonly Item[], wk: Walk): GroupExplanation & { dist: number } {
    const refs = r.rules;
    const span = formatDuration(s.w);
    const b = wk.best;
    const window = (t: Instant): { start: string; end: string } => ({ start: formatInstant({ ms: t.ms - s.w, ns: t.ns }), end: formatInstant(t) });
    const first = wk.holds[0] ? { first: formatInstant(wk.holds[0]) } : {};
    const holdsText = wk.holds.length > 0 ? `holds at ${plural(wk.holds.length, 'instant', 'instants')} from ${formatInstant(wk.holds[0]!)}` : '';
    if (s.kind === TEMPORAL_ORDERED) {
      const sequence: NonNullable<GroupExplanation['sequence']> = [];
      for (let i = 0; i < items.length && sequence.length < MAX_LISTED_SEQUENCE;) {
        let mask = 0;
        let j = i;
        for (; j < items.length && items[j]!.ms === items[i]!.ms && items[j]!.ns === items[i]!.ns; j++) mask |= items[j]!.mask;
        sequence.push({ at: formatInstant(items[i]!), rules: refs.filter((_, k) => (mask & (1 << k)) !== 0) });
        i = j;
      }
      const required = refs.join(' → ');
      const shownSeq = sequence.slice(0, 6).map((e) => `${e.rules.join(' + ')} at ${e.at}`).join(', ');
      const found = `found ${shownSeq}${sequence.length > 6 || items.length > 0 && sequence.length === MAX_LISTED_SEQUENCE ? ', …' : ''}`;
      let verdict: string;
      let dist: number;
      if (b) {
        const w = window(b.t);
        const run = refs.length > 2 ? `${refs[0]} at ${formatInstant(b.run!)} … ${refs[refs.length - 1]}` : `${refs[0]} at ${formatInstant(b.run!)}, ${refs[refs.length - 1]}`;
        verdict = `${holdsText}: ${run} at ${w.end}, in order within [${w.start}, ${w.end}]`;
        dist = 0;
      } else {
        const missing = refs.filter((_, k) => (wk.present & (1 << k)) === 0);
        if (missing.length > 0) {
          verdict = `required ${required} within ${span}; ${found}: no ${missing.join(', no ')}`;
          dist = 1e6 + missing.length;
        } else if (wk.tightest) {
          const { start, end } = wk.tightest;
          verdict = `required ${required} within ${span}; ${found}: the closest in-order run, ${refs[0]} at ${formatInstant(start)} to ` +
            `${refs[refs.length - 1]} at ${formatInstant(end)}, spans ${formatDuration(diffMs(end, start))} > ${span}`;
          dist = 1 + diffMs(end, start) / s.w;
        } else {
          // Every event of the first rule whose run is never completed comes before the run of the rules ahead of it.
          const k = wk.firstDone!.findIndex((x) => x === null);
          const done = wk.firstDone![k - 1]!;
          const lastK = [...items].reverse().find((it) => (it.mask & (1 << k)) !== 0)!;
          verdict = `required ${required} within ${span}; ${found}: wrong order, every ${refs[k]} (the last at ${formatInstant(lastK)}) comes before ` +
            `${k === 1 ? `the first ${refs[0]}` : `the first in-order run of ${refs.slice(0, k).join(' → ')}`} (at ${formatInstant(done)})`;
          dist = 1e3 + (refs.length - k);
        }
      }
      return { group, holds: wk.holds.length, ...first, best: b ? { ...window(b.t), count: b.count, events: b.events } : null, sequence, verdict, dist };
    }
    if (!b) return { group, holds: 0, best: null, verdict: 'no record', dist: Infinity };
    const w = window(b.t);
    const best: WindowExplanation = {
      ...w, count: b.count, events: b.events,
      ...(b.values ? { values: b.values } : {}),
      ...(b.mask !== undefined ? { seen: refs.filter((_, k) => (b.mask! & (1 << k)) !== 0), missing: refs.filter((_, k) => (b.mask! & (1 << k)) === 0) } : {}),
    };
    const what = s.kind === EVENT_COUNT
      ? `${plural(b.count, 'event', 'events')} of ${refs.join(', ')}`
      : s.kind === VALUE_COUNT
        ? `${b.count} distinct ${r.condition?.field ?? 'values'}${b.values && b.values.length > 0 ? ` (${b.values.join(', ')}${b.count > b.values.length ? ', …' : ''})` : ''}`
        : `${plural(b.count, 'rule', 'rules')} of ${refs.length} (seen ${best.seen!.join(', ') || 'none'}; missing ${best.missing!.join(', ') || 'none'})`;
    const cond = `condition ${conditionText(r)}`;
    const verdict = b.held
      ? `${holdsText}: ${what} in [${w.start}, ${w.end}] (${cond})`
      : `${what} in [${w.start}, ${w.end}] (the ${b.count < s.lo ? 'most' : b.count > s.hi ? 'fewest' : 'nearest'} in any ${span} window): ${missFigure(b.count, s)} (${cond})`;
    return { group, holds: wk.holds.length, ...first, best, verdict, dist: b.held ? 0 : distance(b.count, s) };
  }
}

/**
 * Why each alerting rule of the general Sigma path did or did not fire for `ip`,
 * from `mine` (the IP's events: source.ip is the IP, in the order read).
 */
export function explainGeneral(ip: string, mine: readonly DecodedEvent[], general: GeneralRules, config: CorrelatorConfig, opts: GeneralExplainOptions): GeneralRuleExplanation[] {
  const x = new Explainer(ip, mine, general, config, opts);
  return general.set.alerting.filter((r) => general.meta.has(r.id)).map((r: SigmaRule) => (r.kind === 'detection' ? x.single(r) : x.correlation(r.id)));
}
