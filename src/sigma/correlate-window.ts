// One group of one correlation: its events in time order and the sliding window
// over them (correlate.ts routes events here and folds the matches into episodes).
//
// Semantics (docs in README.md): the condition is evaluated at every instant at
// which the group has an event, over the window [t - timespan, t], inclusive at
// both ends (crosswatch's tA <= tE <= tA + window); every event at instant t is in
// its window. temporal_ordered matches at an instant with an event of the last
// rule when events of all the rules lie in the window in the listed order (equal
// times count as in order). An instant is evaluated only once nothing can arrive
// at or before it (correlate.ts's frontier), so results do not depend on arrival
// order.
import {
  EVENT_COUNT, TEMPORAL, TEMPORAL_ORDERED, VALUE_COUNT, mergeVals,
  type OpenEpisode, type Vals, type WindowSpec,
} from './correlate-shapes.js';

/** Receives matches: the instant, and the buffer range [from, to) of the events that contributed. */
export interface MatchSink {
  onMatch(g: GroupState, ms: number, ns: number, from: number, to: number): void;
  /** An event met again (its key at its time), merged into the first. */
  onDuplicate(): void;
}

/**
 * A group's events live in parallel arrays (time, rules, key, values) rather than
 * one object each: the window walks them in order, and typed arrays keep that
 * walk in cache and out of the garbage collector's way.
 */
export class GroupState {
  /** Event i: time (ms, ns), rules (bit k: matched rule k), key ('' when none: never a duplicate), value_count values. */
  ms = new Float64Array(8);
  ns = new Int32Array(8);
  mask = new Int32Array(8);
  ref: string[] = [];
  vals: Vals[] | null;
  /** Events in use are [head, len), sorted by time then key from evalIdx on once `dirty` is cleared. */
  len = 0;
  head = 0;
  /** The first event whose instant has not been evaluated. */
  evalIdx = 0;
  /** The first event inside the window of the last evaluated instant. */
  lo = 0;
  /** temporal_ordered: the first event of the first rule inside that window. */
  first = 0;
  /** Events before this index are in an episode's evidence already. */
  evidenceTo = 0;
  /** The event last put and the add() that put it, so an event matching two of the rules stays one. */
  lastIdx = -1;
  lastSeq = 0;
  /** Instants before (untilMs, untilNs) have been evaluated. */
  untilMs = -Infinity;
  untilNs = 0;
  newestMs = -Infinity;
  newestNs = 0;
  /** Unsorted (a batch not yet evaluated); minMs/minNs is then its earliest time. */
  dirty = false;
  private minMs = Infinity;
  private minNs = 0;
  /** temporal: events per rule in the window, and how many rules have any. */
  private slotCount: Int32Array | null;
  private distinct = 0;
  /** value_count: value → events in the window carrying it. */
  private valueCount: Map<string, number> | null;
  /** temporal_ordered: per rule, the latest possible start of an in-order run ending with that rule. */
  private bestMs: Float64Array | null;
  private bestNs: Float64Array | null;
  /** The episode its matches fold into, until a match comes more than a timespan after its last. */
  episode: OpenEpisode | null = null;

  constructor(readonly key: string, readonly values: readonly string[], spec: WindowSpec) {
    this.vals = spec.kind === VALUE_COUNT ? [] : null;
    this.slotCount = spec.kind === TEMPORAL ? new Int32Array(spec.slots) : null;
    this.valueCount = spec.kind === VALUE_COUNT ? new Map() : null;
    this.bestMs = spec.kind === TEMPORAL_ORDERED ? new Float64Array(spec.slots).fill(-Infinity) : null;
    this.bestNs = spec.kind === TEMPORAL_ORDERED ? new Float64Array(spec.slots) : null;
  }

  /** Event i against (ms, ns, ref): by time, then key. */
  private cmp(i: number, ms: number, ns: number, ref: string): number {
    const r = this.ref[i]!;
    return this.ms[i]! - ms || this.ns[i]! - ns || (r < ref ? -1 : r > ref ? 1 : 0);
  }

  /**
   * Adds an event; returns its index. Before the first evaluation (a batch) events
   * are appended and sorted once; after it, each is inserted in place, which costs
   * as many moves as events it arrived behind (few: at most the lateness behind).
   * An event whose key and time are already here is merged into that one.
   */
  push(ms: number, ns: number, ref: string, mask: number, vals: Vals, sink: MatchSink): number {
    if (this.len === this.ms.length) this.room();
    let k = this.len;
    if (this.untilMs === -Infinity) {
      if (k > 0 && this.cmp(k - 1, ms, ns, ref) >= 0) this.dirty = true;
      if (ms < this.minMs || (ms === this.minMs && ns < this.minNs)) {
        this.minMs = ms;
        this.minNs = ns;
      }
    } else {
      while (k > this.evalIdx && this.cmp(k - 1, ms, ns, ref) > 0) k--;
      if (k > this.evalIdx && ref !== '' && this.cmp(k - 1, ms, ns, ref) === 0) {
        this.mergeAt(k - 1, mask, vals);
        sink.onDuplicate();
        return k - 1;
      }
      if (k < this.len) {
        this.ms.copyWithin(k + 1, k, this.len);
        this.ns.copyWithin(k + 1, k, this.len);
        this.mask.copyWithin(k + 1, k, this.len);
      }
    }
    this.ms[k] = ms;
    this.ns[k] = ns;
    this.mask[k] = mask;
    if (k === this.len) {
      this.ref.push(ref);
      this.vals?.push(vals);
    } else {
      this.ref.splice(k, 0, ref);
      this.vals?.splice(k, 0, vals);
    }
    this.len++;
    if (ms > this.newestMs || (ms === this.newestMs && ns > this.newestNs)) {
      this.newestMs = ms;
      this.newestNs = ns;
    }
    return k;
  }

  mergeAt(i: number, mask: number, vals: Vals): void {
    this.mask[i]! |= mask;
    if (this.vals) this.vals[i] = mergeVals(this.vals[i]!, vals);
  }

  /** Full: compact if half is dead, else double. */
  private room(): void {
    if (this.head * 2 >= this.len) {
      this.compact();
      return;
    }
    const grow = <T extends Float64Array | Int32Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    const cap = this.ms.length * 2;
    this.ms = grow(this.ms, new Float64Array(cap));
    this.ns = grow(this.ns, new Int32Array(cap));
    this.mask = grow(this.mask, new Int32Array(cap));
  }

  private compact(): void {
    const h = this.head;
    if (h === 0) return;
    this.ms.copyWithin(0, h, this.len);
    this.ns.copyWithin(0, h, this.len);
    this.mask.copyWithin(0, h, this.len);
    this.ref.splice(0, h);
    this.vals?.splice(0, h);
    this.len -= h;
    this.head = 0;
    this.evalIdx -= h;
    this.lo -= h;
    this.first -= h;
    this.evidenceTo = Math.max(0, this.evidenceTo - h);
    this.lastIdx -= h;
  }

  /** Has an instant before (ms, ns) not been evaluated yet? */
  pending(ms: number, ns: number): boolean {
    if (this.dirty) return this.minMs < ms || (this.minMs === ms && this.minNs < ns);
    const i = this.evalIdx;
    return i < this.len && (this.ms[i]! < ms || (this.ms[i] === ms && this.ns[i]! < ns));
  }

  /** Events not evaluated yet. */
  get backlog(): number {
    return this.len - this.evalIdx;
  }

  /** Sorts the batch (by time, then key), merging an event met twice. */
  private sort(sink: MatchSink): void {
    const from = this.evalIdx;
    const n = this.len - from;
    const ms = this.ms.slice(from, this.len);
    const ns = this.ns.slice(from, this.len);
    const mask = this.mask.slice(from, this.len);
    const ref = this.ref.slice(from);
    const vals = this.vals?.slice(from) ?? null;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
      ms[a]! - ms[b]! || ns[a]! - ns[b]! || (ref[a]! < ref[b]! ? -1 : ref[a]! > ref[b]! ? 1 : 0));
    let w = from;
    for (const i of order) {
      if (w > from && ref[i] !== '' && this.cmp(w - 1, ms[i]!, ns[i]!, ref[i]!) === 0) {
        this.mergeAt(w - 1, mask[i]!, vals ? vals[i]! : null);
        sink.onDuplicate();
        continue;
      }
      this.ms[w] = ms[i]!;
      this.ns[w] = ns[i]!;
      this.mask[w] = mask[i]!;
      this.ref[w] = ref[i]!;
      if (this.vals) this.vals[w] = vals![i]!;
      w++;
    }
    this.len = w;
    this.ref.length = w;
    if (this.vals) this.vals.length = w;
    this.dirty = false;
    this.lastIdx = -1;
  }

  /** Evaluates every instant before (ms, ns), in time order. */
  evaluate(spec: WindowSpec, ms: number, ns: number, sink: MatchSink): void {
    if (this.dirty) this.sort(sink);
    const T = this.ms;
    const N = this.ns;
    const w = spec.windowMs;
    const n = this.len;
    let i = this.evalIdx;
    while (i < n) {
      const tm = T[i]!;
      const tn = N[i]!;
      if (!(tm < ms || (tm === ms && tn < ns))) break;
      let j = i;
      let mask = 0;
      for (; j < n && T[j] === tm && N[j] === tn; j++) {
        mask |= this.mask[j]!;
        this.enter(j);
      }
      const lowMs = tm - w;
      while (T[this.lo]! < lowMs || (T[this.lo] === lowMs && N[this.lo]! < tn)) this.leave(this.lo++);
      let count: number;
      let from = this.lo;
      if (spec.kind === TEMPORAL_ORDERED) {
        count = this.ordered(spec, mask, tm, tn, lowMs) ? spec.slots : 0;
        let f = Math.max(this.first, this.lo);
        while (f < j && (this.mask[f]! & 1) === 0) f++;
        this.first = f;
        // From the run's start instant: events tied with it (sorted before it by key) are inside too.
        from = f;
        while (from > this.lo && f < j && T[from - 1] === T[f] && N[from - 1] === N[f]) from--;
      } else {
        this.first = this.lo;
        count = spec.kind === EVENT_COUNT ? j - this.lo : spec.kind === VALUE_COUNT ? this.valueCount!.size : this.distinct;
      }
      if (count >= spec.lo && count <= spec.hi && count !== spec.neq) sink.onMatch(this, tm, tn, from, j);
      i = j;
    }
    this.evalIdx = i;
    this.untilMs = ms;
    this.untilNs = ns;
  }

  /**
   * temporal_ordered at one instant: updates, rule by rule in the listed order, the
   * latest start of an in-order run ending with each rule (the instant's events of
   * rule k - 1 come before its events of rule k, so ties count as in order). The
   * instant matches when it has an event of the last rule and a run ending there
   * starts inside the window.
   */
  private ordered(spec: WindowSpec, mask: number, ms: number, ns: number, lowMs: number): boolean {
    const bm = this.bestMs!;
    const bn = this.bestNs!;
    for (let k = 0; k < spec.slots; k++) {
      if ((mask & (1 << k)) === 0) continue;
      const sm = k === 0 ? ms : bm[k - 1]!;
      const sn = k === 0 ? ns : bn[k - 1]!;
      if (sm > bm[k]! || (sm === bm[k]! && sn > bn[k]!)) {
        bm[k] = sm;
        bn[k] = sn;
      }
    }
    const last = spec.slots - 1;
    if ((mask & (1 << last)) === 0) return false;
    const sm = bm[last]!;
    return sm > lowMs || (sm === lowMs && bn[last]! >= ns);
  }

  private enter(i: number): void {
    if (this.slotCount) {
      for (let k = 0, m = this.mask[i]!; m !== 0; k++, m >>>= 1) if ((m & 1) !== 0 && this.slotCount[k]!++ === 0) this.distinct++;
    } else if (this.valueCount) {
      const v = this.vals![i]!;
      if (typeof v === 'string') this.valueCount.set(v, (this.valueCount.get(v) ?? 0) + 1);
      else if (v !== null) for (const x of v) this.valueCount.set(x, (this.valueCount.get(x) ?? 0) + 1);
    }
  }

  private leave(i: number): void {
    if (this.slotCount) {
      for (let k = 0, m = this.mask[i]!; m !== 0; k++, m >>>= 1) if ((m & 1) !== 0 && --this.slotCount[k]! === 0) this.distinct--;
    } else if (this.valueCount) {
      const v = this.vals![i]!;
      if (typeof v === 'string') this.uncount(v);
      else if (v !== null) for (const x of v) this.uncount(x);
    }
  }

  private uncount(v: string): void {
    const c = this.valueCount!.get(v)! - 1;
    if (c === 0) this.valueCount!.delete(v);
    else this.valueCount!.set(v, c);
  }

  /**
   * Drops the events no later window can use: those before the last window; in
   * order, also those before the first first-rule event in it (and its ties), as a
   * later run can start no earlier and nothing before a run's start is evidence.
   */
  prune(spec: WindowSpec): void {
    let keep = Math.min(this.lo, this.evalIdx);
    if (spec.kind === TEMPORAL_ORDERED) {
      keep = Math.min(this.first, this.evalIdx);
      if (keep < this.len) while (keep > this.head && this.ms[keep - 1] === this.ms[keep] && this.ns[keep - 1] === this.ns[keep]) keep--;
      if (this.lo < keep) this.lo = keep;
    }
    if (keep > this.head) {
      for (let k = this.head; k < keep; k++) this.ref[k] = ''; // let the keys go before the compaction
      if (this.vals) for (let k = this.head; k < keep; k++) this.vals[k] = null;
      this.head = keep;
    }
    // Compact once the dead prefix is most of the array (amortized O(1) per event).
    if (this.head > 64 && this.head * 2 > this.len) this.compact();
  }

  /** Nothing left that a later event could need (all evaluated, all older than a window before ms). */
  idle(ms: number, ns: number, windowMs: number): boolean {
    if (this.dirty || this.evalIdx < this.len) return false;
    const endMs = this.newestMs + windowMs;
    return endMs < ms || (endMs === ms && this.newestNs < ns);
  }
}
