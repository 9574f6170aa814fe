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

/** One event of the group (an event that matched several of the correlation's rules is one occurrence). */
export interface Occurrence {
  ms: number;
  ns: number;
  /** The event's key ('' when it has none): its evidence ref, its tie order, and its identity for dedupe. */
  ref: string;
  /** Bit i: the event matched the correlation's rule i. */
  mask: number;
  /** value_count: the event's value(s) of the counted field. */
  vals: string | string[] | null;
}

/** One event met twice (same key and time): one occurrence with both's rules and values, whichever came first. */
function merge(into: Occurrence, o: Occurrence): void {
  into.mask |= o.mask;
  if (o.vals === null) return;
  const all = new Set([...(into.vals === null ? [] : typeof into.vals === 'string' ? [into.vals] : into.vals),
    ...(typeof o.vals === 'string' ? [o.vals] : o.vals)]);
  into.vals = [...all];
}

const sameEvent = (a: Occurrence, b: Occurrence): boolean => a.ref !== '' && a.ref === b.ref && a.ms === b.ms && a.ns === b.ns;

/** An episode still taking matches (correlate.ts folds them). */
export interface OpenEpisode {
  id: string;
  startMs: number;
  startNs: number;
  lastMs: number;
  lastNs: number;
  matches: number;
  /** The contributing events' refs, in time order, capped; `more` counts the rest. */
  refs: string[];
  more: number;
}

export const EVENT_COUNT = 0;
export const VALUE_COUNT = 1;
export const TEMPORAL = 2;
export const TEMPORAL_ORDERED = 3;

/** What the evaluator needs of a correlation, as numbers. */
export interface WindowSpec {
  kind: number;
  windowMs: number;
  /** Number of referenced rules. */
  slots: number;
  /** The count condition: lo <= count <= hi and count !== neq. */
  lo: number;
  hi: number;
  neq: number;
}

/** Receives matches: the instant, and the buffer range [from, to) of the events that contributed. */
export interface MatchSink {
  onMatch(g: GroupState, ms: number, ns: number, from: number, to: number): void;
  /** An event met again (its key at its time), merged into the first. */
  onDuplicate(): void;
}

const byTimeThenRef = (a: Occurrence, b: Occurrence): number =>
  a.ms - b.ms || a.ns - b.ns || (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);

export class GroupState {
  /** Events, sorted by time (then ref) from `evalIdx` on once `dirty` is cleared. */
  buf: Occurrence[] = [];
  /** Events before this index are pruned. */
  head = 0;
  /** The first event whose instant has not been evaluated. */
  evalIdx = 0;
  /** The first event inside the window of the last evaluated instant. */
  lo = 0;
  /** temporal_ordered: the first event of the first rule inside that window. */
  first = 0;
  /** Events before this index are in an episode's evidence already. */
  evidenceTo = 0;
  /** Instants before (untilMs, untilNs) have been evaluated. */
  untilMs = -Infinity;
  untilNs = 0;
  newestMs = -Infinity;
  newestNs = 0;
  /** Unsorted (a batch not yet evaluated); minMs/minNs is then its earliest time. */
  dirty = false;
  private minMs = Infinity;
  private minNs = 0;
  /** The last event put and the add() that put it, so an event matching two of the rules stays one. */
  last: Occurrence | null = null;
  lastSeq = 0;
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
    this.slotCount = spec.kind === TEMPORAL ? new Int32Array(spec.slots) : null;
    this.valueCount = spec.kind === VALUE_COUNT ? new Map() : null;
    this.bestMs = spec.kind === TEMPORAL_ORDERED ? new Float64Array(spec.slots).fill(-Infinity) : null;
    this.bestNs = spec.kind === TEMPORAL_ORDERED ? new Float64Array(spec.slots) : null;
  }

  /**
   * Adds an event. Before the first evaluation (a batch) events are appended and
   * sorted once; after it, each is inserted in place, which costs as many moves as
   * events it arrived behind (few: late events are at most the lateness behind).
   */
  push(o: Occurrence, sink: MatchSink): Occurrence {
    const buf = this.buf;
    if (this.untilMs === -Infinity) {
      if (buf.length > 0 && byTimeThenRef(buf[buf.length - 1]!, o) >= 0) this.dirty = true;
      buf.push(o);
      if (o.ms < this.minMs || (o.ms === this.minMs && o.ns < this.minNs)) {
        this.minMs = o.ms;
        this.minNs = o.ns;
      }
    } else {
      let k = buf.length;
      while (k > this.evalIdx && byTimeThenRef(buf[k - 1]!, o) > 0) k--;
      if (k > this.evalIdx && sameEvent(buf[k - 1]!, o)) {
        merge(buf[k - 1]!, o);
        sink.onDuplicate();
        return buf[k - 1]!;
      }
      if (k === buf.length) buf.push(o);
      else buf.splice(k, 0, o);
    }
    if (o.ms > this.newestMs || (o.ms === this.newestMs && o.ns > this.newestNs)) {
      this.newestMs = o.ms;
      this.newestNs = o.ns;
    }
    return o;
  }

  /** Has an instant before (ms, ns) not been evaluated yet? */
  pending(ms: number, ns: number): boolean {
    if (this.dirty) return this.minMs < ms || (this.minMs === ms && this.minNs < ns);
    const o = this.buf[this.evalIdx];
    return o !== undefined && (o.ms < ms || (o.ms === ms && o.ns < ns));
  }

  /** Events not evaluated yet. */
  get backlog(): number {
    return this.buf.length - this.evalIdx;
  }

  /** Evaluates every instant before (ms, ns), in time order. */
  evaluate(spec: WindowSpec, ms: number, ns: number, sink: MatchSink): void {
    const buf = this.buf;
    if (this.dirty) {
      const tail = buf.splice(this.evalIdx).sort(byTimeThenRef);
      for (const o of tail) {
        const prev = buf[buf.length - 1];
        if (prev !== undefined && sameEvent(prev, o)) {
          merge(prev, o);
          sink.onDuplicate();
        } else {
          buf.push(o);
        }
      }
      this.dirty = false;
    }
    const w = spec.windowMs;
    const n = buf.length;
    let i = this.evalIdx;
    while (i < n) {
      const a = buf[i]!;
      if (!(a.ms < ms || (a.ms === ms && a.ns < ns))) break;
      let j = i;
      let mask = 0;
      for (; j < n && buf[j]!.ms === a.ms && buf[j]!.ns === a.ns; j++) {
        mask |= buf[j]!.mask;
        this.enter(buf[j]!);
      }
      const lowMs = a.ms - w;
      const lowNs = a.ns;
      for (let o = buf[this.lo]!; o.ms < lowMs || (o.ms === lowMs && o.ns < lowNs); o = buf[this.lo]!) {
        this.leave(o);
        this.lo++;
      }
      let count: number;
      let from = this.lo;
      if (spec.kind === TEMPORAL_ORDERED) {
        count = this.ordered(spec, mask, a.ms, a.ns, lowMs, lowNs) ? spec.slots : 0;
        let f = Math.max(this.first, this.lo);
        while (f < j && (buf[f]!.mask & 1) === 0) f++;
        this.first = f;
        // From the run's start instant: events tied with it (sorted before it by ref) are inside too.
        from = f;
        while (from > this.lo && f < j && buf[from - 1]!.ms === buf[f]!.ms && buf[from - 1]!.ns === buf[f]!.ns) from--;
      } else {
        this.first = this.lo;
        count = spec.kind === EVENT_COUNT ? j - this.lo : spec.kind === VALUE_COUNT ? this.valueCount!.size : this.distinct;
      }
      if (count >= spec.lo && count <= spec.hi && count !== spec.neq) sink.onMatch(this, a.ms, a.ns, from, j);
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
  private ordered(spec: WindowSpec, mask: number, ms: number, ns: number, lowMs: number, lowNs: number): boolean {
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
    return sm > lowMs || (sm === lowMs && bn[last]! >= lowNs);
  }

  private enter(o: Occurrence): void {
    if (this.slotCount) {
      for (let k = 0, m = o.mask; m !== 0; k++, m >>>= 1) if ((m & 1) !== 0 && this.slotCount[k]!++ === 0) this.distinct++;
    } else if (this.valueCount && o.vals !== null) {
      if (typeof o.vals === 'string') this.valueCount.set(o.vals, (this.valueCount.get(o.vals) ?? 0) + 1);
      else for (const v of o.vals) this.valueCount.set(v, (this.valueCount.get(v) ?? 0) + 1);
    }
  }

  private leave(o: Occurrence): void {
    if (this.slotCount) {
      for (let k = 0, m = o.mask; m !== 0; k++, m >>>= 1) if ((m & 1) !== 0 && --this.slotCount[k]! === 0) this.distinct--;
    } else if (this.valueCount && o.vals !== null) {
      if (typeof o.vals === 'string') this.uncount(o.vals);
      else for (const v of o.vals) this.uncount(v);
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
    const buf = this.buf;
    let keep = Math.min(this.lo, this.evalIdx);
    if (spec.kind === TEMPORAL_ORDERED) {
      keep = Math.min(this.first, this.evalIdx);
      const at = buf[keep];
      while (at !== undefined && keep > this.head && buf[keep - 1]!.ms === at.ms && buf[keep - 1]!.ns === at.ns) keep--;
      if (this.lo < keep) this.lo = keep;
    }
    if (keep > this.head) this.head = keep;
    // Compact once the dead prefix is most of the array (amortized O(1) per event).
    if (this.head > 64 && this.head * 2 > buf.length) {
      const h = this.head;
      buf.splice(0, h);
      this.head = 0;
      this.evalIdx -= h;
      this.lo -= h;
      this.first -= h;
      this.evidenceTo = Math.max(0, this.evidenceTo - h);
    }
  }

  /** Nothing left that a later event could need (all evaluated, all older than a window before ms). */
  idle(ms: number, ns: number, windowMs: number): boolean {
    if (this.dirty || this.evalIdx < this.buf.length) return false;
    const endMs = this.newestMs + windowMs;
    return endMs < ms || (endMs === ms && this.newestNs < ns);
  }
}
