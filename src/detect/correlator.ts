// The correlator (DESIGN.md §1): per canonical source IP, network alerts and the
// successful sign-ins / mail accesses that follow them within the window. It
// keeps state per IP — compact rows (qualifying-table.ts), never whole records — and is the same
// for batch and stream: events arrive in any order, and the caller says when
// input ends (finish). In batch, `sealNetworkAlerts()` says every network alert
// has been seen, so qualifying events for IPs that never had one are dropped on
// arrival and memory does not grow with them; nor with the events of alerted
// IPs that lie outside every window [tA, tA + window] of their IP's alerts,
// which can neither match nor count towards the shared-infrastructure cap.
import { hash } from 'node:crypto';
import { eventDetail, type DecodedEvent, type Role } from '../model/event.js';
import { specialPurpose } from '../model/ip.js';
import type { Instant } from '../model/time.js';
import { addMs, compareInstants } from '../model/time.js';
import type { CorrelatorConfig } from './config.js';
import type { DetectionRule, QualifyingRole, QualifyingTest } from './rule.js';
import type { Episode, NetworkAlertEvidence, QualifyingEvidence } from './episode.js';
import { QualifyingTable, type QualifyingRow } from './qualifying-table.js';
import { COLUMN, qualifyingBits, ROW_TEXT, TEXT_COLUMNS, type QualifyingPack } from './qualifying-pack.js';

export type { Episode, NetworkAlertEvidence, QualifyingEvidence };

export type ExclusionReason = 'special-purpose' | 'allowlist' | 'shared-infrastructure';

export interface CorrelatorStats {
  networkAlerts: number;
  /** Successful sign-ins / mail accesses kept: from an alerted IP (in batch mode: within a window of one of its alerts). */
  qualifyingEvents: number;
  /** Successful qualifying events set aside in batch mode: their IP never had a network alert (or, when counted by the straightforward pass, none near them). */
  unalertedEvents: number;
  failedEvents: number;
  duplicateRecords: number;
  withoutIp: number;
  /** Distinct IPs with network alerts that were excluded, by reason. */
  excludedIps: Record<ExclusionReason, number>;
  /** A few excluded IPs per reason, for the summary. */
  excludedSamples: Record<ExclusionReason, string[]>;
}

interface AlertEntry extends NetworkAlertEvidence {
  /** Bit i: rule i's anchor test held for the alert. */
  rules: number;
}

/** A network alert made ready to add (Correlator.prepareAlert): its IP, its key for duplicates, its entry. */
export interface PreparedAlert {
  readonly ip: string | undefined;
  readonly key: string;
  readonly entry: AlertEntry;
}

/**
 * The string as one flat sequence of characters: V8 keeps a concatenation as a
 * tree of its parts (~300 B for an alert's key) until something reads it whole,
 * as reading a character does; then it is flattened in place (~100 B).
 */
function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

interface IpState {
  alerts: AlertEntry[];
  /** The IP's qualifying events: rows of the correlator's QualifyingTable. */
  events: number[];
  /** Network alerts' keys already counted, so a redelivered alert counts once (made with the first). */
  seen?: Set<string>;
  /** Batch mode, once sealed: the alerts' times (ms), sorted, for the window test on arrival. */
  alertMs?: Float64Array;
  /** Qualifying records counted once already (forgetQualifying takes them back). */
  qualifyingDuplicates?: number;
}

const MAX_SAMPLES = 5;
/** exclusionOf remembers at most this many addresses. */
const MAX_REMEMBERED_EXCLUSIONS = 65_536;

/** Rules a correlator runs (a bit each in the entries' masks). */
export const MAX_RULES = 31;

function withoutRules(a: AlertEntry): NetworkAlertEvidence {
  const { rules: _rules, ...rest } = a;
  return rest;
}

export class Correlator {
  private readonly byIp = new Map<string, IpState>();
  /** Every qualifying event kept (and some dropped since: their rows stay, in no IP's list). */
  private readonly table = new QualifyingTable();
  private sealed = false;
  readonly stats: CorrelatorStats = {
    networkAlerts: 0,
    qualifyingEvents: 0,
    unalertedEvents: 0,
    failedEvents: 0,
    duplicateRecords: 0,
    withoutIp: 0,
    excludedIps: { 'special-purpose': 0, allowlist: 0, 'shared-infrastructure': 0 },
    excludedSamples: { 'special-purpose': [], allowlist: [], 'shared-infrastructure': [] },
  };
  /** IPs already counted as excluded for a reason (so each IP counts once). */
  private readonly excludedSeen = new Map<string, ExclusionReason>();
  /** exclusionOf's answers. */
  private readonly exclusions = new Map<string, ExclusionReason | null>();

  /** The roles some rule's qualifying events have: events of other roles are not kept. */
  private readonly qualifyingRoles: ReadonlySet<Role>;
  /** The rules' qualifying tests, in the order of their bits. */
  private readonly qualifyingTests: readonly QualifyingTest[];
  /** The longest of the rules' windows: how far after an alert its IP's events are kept. */
  readonly windowMs: number;

  /** `rules`: the compiled detections (rule.ts), in the order their episodes are made; at most MAX_RULES. */
  constructor(private readonly config: CorrelatorConfig, private readonly rules: readonly DetectionRule[]) {
    if (rules.length > MAX_RULES) throw new Error(`the correlator runs at most ${MAX_RULES} rules (got ${rules.length})`);
    this.qualifyingRoles = new Set(rules.map((r) => r.qualifying.role));
    this.qualifyingTests = rules.map((r) => r.qualifying);
    this.windowMs = rules.reduce((m, r) => Math.max(m, r.windowMs), 0);
  }

  /** The rules (bits) whose test holds for an event. */
  private bits(test: (r: DetectionRule) => boolean): number {
    let m = 0;
    for (let i = 0; i < this.rules.length; i++) if (test(this.rules[i]!)) m |= 1 << i;
    return m;
  }

  /** Batch mode: all network alerts have been added; unalerted IPs need no state from now on. */
  sealNetworkAlerts(): void {
    this.sealed = true;
    for (const [ip, st] of this.byIp) {
      if (st.alerts.length === 0) {
        this.stats.unalertedEvents += st.events.length;
        for (const r of st.events) this.forgetId(r);
        this.byIp.delete(ip);
      } else {
        st.alertMs = Float64Array.from(st.alerts, (a) => a.at.ms).sort();
        // Events added before (hunt adds some early) are held to the rule that applies from now on.
        // (Their ids stay known: a copy of one of them counts as a duplicate, as it would have.)
        const alertMs = st.alertMs;
        const kept = st.events.filter((r) => withinAWindow(alertMs, this.table.msOf(r), this.windowMs));
        this.stats.qualifyingEvents -= st.events.length - kept.length;
        st.events = kept;
      }
    }
  }

  /**
   * Adds one decoded event; events of other roles are ignored. `order` and
   * `index`, when given, are the record's place in the input (say, the file and
   * piece, then the record within it): of two qualifying records with the same
   * id, the one earlier in the input is kept, whichever arrives first, so hunt's
   * threads can hand events over as each piece of a file is done. Without them,
   * the first to arrive is kept.
   */
  add(decoded: DecodedEvent, order?: number, index = 0): void {
    const ev = decoded.event;
    const role: Role = ev.crosswatch.role;
    if (role === 'other') return;
    const ip = ev.source?.ip;
    if (!ip) {
      this.stats.withoutIp++;
      return;
    }
    if (role === 'network_alert') {
      this.addPrepared(this.prepareAlert(decoded));
      return;
    }
    if (!this.qualifyingRoles.has(role)) return;
    if (ev.event.outcome !== 'success') {
      this.stats.failedEvents++;
      return;
    }
    // The literal, not the event's own copy of the word (one per event handed over from a worker).
    const qrole: QualifyingRole = role === 'signin' ? 'signin' : 'mail_access';
    this.keep(ip, qrole, decoded.at.ms, ev.event.id, order, index, (over) => {
      const row = this.rowOf(decoded, ip, qrole, order, index);
      if (over === undefined) return this.table.add(row);
      this.table.set(over, row);
      return over;
    });
  }

  /**
   * What add and addPack do with a successful sign-in or mail access: find its
   * IP's state (none for an IP without alerts once sealed), drop it outside
   * every window of the IP's alerts (it cannot change an alert), and count a
   * redelivered record once — the copy earlier in the input stands, whichever
   * came first. `write` writes the event over a row (a later copy's), or as a
   * new row when given none, and says which.
   */
  private keep(
    ip: string, qrole: QualifyingRole, ms: number, id: string | undefined, order: number | undefined, index: number,
    write: (over?: number) => number,
  ): void {
    let st = this.byIp.get(ip);
    if (!st) {
      if (this.sealed) {
        this.stats.unalertedEvents++;
        return;
      }
      st = this.state(ip);
    }
    if (st.alertMs && !withinAWindow(st.alertMs, ms, this.windowMs)) return;
    const had = id === undefined ? undefined : this.rowWithId(id, ip, qrole);
    if (had !== undefined) {
      this.stats.duplicateRecords++;
      st.qualifyingDuplicates = (st.qualifyingDuplicates ?? 0) + 1;
      const hadOrder = this.table.orderOf(had);
      const earlier = order !== undefined && hadOrder !== undefined && (order < hadOrder || (order === hadOrder && index < this.table.indexOf(had)));
      if (earlier) write(had);
      return;
    }
    const row = write();
    this.table.ids.index(row);
    this.stats.qualifyingEvents++;
    st.events.push(row);
  }

  /**
   * Adds the rows of a pack (qualifying-pack.ts) as add() would add the events
   * they were made of — the pack's `order`, each row's index in the pack — with
   * the rules' qualifying tests already run. Only rows of the IPs in `only`,
   * when given; how many those were.
   */
  addPack(pack: QualifyingPack, order?: number, only?: ReadonlySet<string>): number {
    if (pack.events) {
      let taken = 0;
      pack.events.forEach((e, i) => {
        if (only && !only.has(e.event.source!.ip!)) return;
        taken++;
        this.add(e, order, i);
      });
      return taken;
    }
    let taken = 0;
    let numbers: ReturnType<QualifyingTable['packNumbers']> | null = null;
    const stride = TEXT_COLUMNS.length;
    for (let i = 0; i < pack.n; i++) {
      const ip = pack.strings[pack.text[i * stride + COLUMN.ip]!]!;
      if (only && !only.has(ip)) continue;
      taken++;
      const qrole: QualifyingRole = pack.role[i] === 0 ? 'signin' : 'mail_access';
      if (!this.qualifyingRoles.has(qrole)) continue;
      // (Packs hold successful events with an IP only.)
      this.keep(ip, qrole, pack.ms[i]!, pack.ids[i] ?? undefined, order, i, (over) => {
        numbers ??= this.table.packNumbers(pack);
        if (over === undefined) return this.table.addPacked(pack, i, order, numbers);
        this.table.setPacked(over, pack, i, order, numbers);
        return over;
      });
    }
    return taken;
  }

  /**
   * A network alert as the correlator keeps it, made before it is added: hunt
   * holds every network alert until every file is scanned (sealNetworkAlerts),
   * and this is a fifth of the size of the decoded event (at 5M records, ~50k
   * alerts held as events were ~30 MB of the heap). Adding it later
   * (addPrepared) does what add does with the event.
   */
  prepareAlert(decoded: DecodedEvent): PreparedAlert {
    const ev = decoded.event;
    // IDS alerts rarely carry a record id: the same sensor, time and signature is the same alert.
    const key = ev.event.id !== undefined
      ? `a:${ev.event.dataset}:${ev.event.id}`
      : `a:${ev.event.dataset}:${decoded.at.ms}.${decoded.at.ns}:${ev.observer?.name ?? ''}:${ev.rule?.id ?? ev.rule?.name ?? ''}`;
    return {
      ip: this.table.shared(ev.source?.ip),
      // (A concatenation is a tree of pieces until flattened: one flat copy is smaller.)
      key: flat(key),
      entry: {
        rules: this.bits((r) => r.anchor.test(ev)),
        at: decoded.at,
        // (Events from another thread bring their own copy of every string: shared here.)
        signature: this.table.shared(ev.rule?.name),
        sensor: this.table.shared(ev.observer?.name ?? ev.observer?.product),
        dataset: this.table.shared(ev.event.dataset)!,
        id: ev.event.id,
        severity: ev.event.severity,
      },
    };
  }

  /** Adds a network alert made ready by prepareAlert. */
  addPrepared(p: PreparedAlert): void {
    const { ip } = p;
    if (!ip) {
      this.stats.withoutIp++;
      return;
    }
    if (this.excluded(ip)) return;
    const st = this.state(ip);
    if (this.isDuplicate(st, p.key)) return;
    this.stats.networkAlerts++;
    // An alert after sealing (not how batch runs, but allowed): no window test for its IP any more.
    delete st.alertMs;
    st.alerts.push(p.entry);
  }

  /** What the correlator keeps of a qualifying event (a row of its table). */
  private rowOf(decoded: DecodedEvent, ip: string, role: QualifyingRole, order: number | undefined, index: number): QualifyingRow {
    const ev = decoded.event;
    return {
      ip,
      role,
      rules: qualifyingBits(this.qualifyingTests, role, ev),
      ms: decoded.at.ms,
      ns: decoded.at.ns,
      user: ROW_TEXT.user(ev),
      app: ROW_TEXT.app(ev),
      client: ROW_TEXT.client(ev),
      userAgent: ROW_TEXT.userAgent(ev),
      category: ROW_TEXT.category(ev),
      action: ROW_TEXT.action(ev),
      dataset: ev.event.dataset,
      id: ev.event.id,
      detail: eventDetail(ev),
      order,
      index,
    };
  }

  /**
   * The row of this IP and role with this record id, if any: one index of ids
   * for every IP and role (a row says its own), for an index per IP costs more
   * than its rows when most IPs have a few. Several rows share an id only when
   * different IPs or roles use it.
   */
  private rowWithId(id: string, ip: string, role: QualifyingRole): number | undefined {
    return this.table.ids.find(id, (r) => this.table.is(r, ip, role));
  }

  private forgetId(row: number): void {
    this.table.ids.unindex(row);
  }

  /**
   * Forgets these IPs' qualifying events (and their ids and counts), keeping
   * their alerts: hunt added them early, with alert times that turned out
   * incomplete, and reads them again. (One pass over the ids for all of them:
   * the ids of events dropped when sealed are in no IP's list.)
   */
  forgetQualifying(ips: ReadonlySet<string>): void {
    if (ips.size === 0) return;
    for (const ip of ips) {
      const st = this.byIp.get(ip);
      if (!st) continue;
      this.stats.qualifyingEvents -= st.events.length;
      this.stats.duplicateRecords -= st.qualifyingDuplicates ?? 0;
      st.events = [];
      delete st.qualifyingDuplicates;
    }
    this.table.ids.unindexWhere((r) => ips.has(this.table.ipOf(r)));
  }

  /**
   * Of these alert times (ms, sorted, per IP), the ones already over the
   * shared-infrastructure cap with the events kept so far: more than
   * maxUsersPerIp distinct users (or, in compatibility mode, more than
   * maxEventsPerIp events) at times surely inside [t, t + window] for the
   * shortest window of the rules — later than t's millisecond and earlier than
   * t + window's, as the alert's nanoseconds cannot move them out. Events only
   * add users, so such an alert is over the cap whatever else is read: it is
   * live for no rule (episodesFor), and an event whose time lies only in windows
   * of such alerts can neither match one nor change another's cap (hunt reads no
   * further for those: batch.ts, the sample of the identity data).
   */
  alertsOverCap(times: ReadonlyMap<string, readonly number[]>): Map<string, Set<number>> {
    const out = new Map<string, Set<number>>();
    if (this.rules.length === 0) return out;
    const w = this.rules.reduce((m, r) => Math.min(m, r.windowMs), Infinity);
    const { maxUsersPerIp, maxEventsPerIp } = this.config;
    const t = this.table;
    for (const [ip, alertMs] of times) {
      const st = this.byIp.get(ip);
      if (!st || st.events.length <= Math.min(maxUsersPerIp, maxEventsPerIp ?? Infinity)) continue;
      const rows = st.events.slice().sort((a, b) => t.msOf(a) - t.msOf(b));
      const over = slideCap(t, rows, alertMs.length, maxUsersPerIp, maxEventsPerIp, (r, i) => t.msOf(r) <= alertMs[i]!, (r, i) => t.msOf(r) < alertMs[i]! + w);
      over.forEach((capped, i) => {
        if (!capped) return;
        let times = out.get(ip);
        if (!times) out.set(ip, (times = new Set()));
        times.add(alertMs[i]!);
      });
    }
    return out;
  }

  /** Number of IPs with state: the correlator's memory is proportional to this. */
  get stateSize(): number {
    return this.byIp.size;
  }

  /** Would a network alert from this IP be set aside (special-purpose range, allowlist)? No side effects. */
  excludes(ip: string): boolean {
    return this.exclusionOf(ip) !== null;
  }

  /**
   * Why the IP is set aside (null: it is not), remembered: a hunt asks about each
   * alerted address when it plans the rest's search and again for each of its
   * alerts when they are sealed, and an IPv6 address is parsed to be matched
   * (~10 µs: ~20 ms of a 1M hunt's single-threaded end). Bounded like
   * canonicalIp's memory: a flood of distinct addresses only empties it sooner.
   */
  private exclusionOf(ip: string): ExclusionReason | null {
    let reason = this.exclusions.get(ip);
    if (reason === undefined) {
      reason = specialPurpose.match(ip) !== null ? 'special-purpose' : this.config.allow.match(ip) !== null ? 'allowlist' : null;
      if (this.exclusions.size >= MAX_REMEMBERED_EXCLUSIONS) this.exclusions.clear();
      this.exclusions.set(ip, reason);
    }
    return reason;
  }

  /** Once sealed: an alerted IP's alert times (ms, sorted), for filtering events before they get here. */
  alertTimesOf(ip: string): Float64Array | undefined {
    return this.byIp.get(ip)?.alertMs;
  }

  /** The IPs that have network alerts (after exclusions). */
  alertedIps(): string[] {
    const out: string[] = [];
    for (const [ip, st] of this.byIp) if (st.alerts.length > 0) out.push(ip);
    return out;
  }

  /** End of input: every episode, ordered by start time, then rule, then IP. */
  finish(): Episode[] {
    return this.finishPlans().map((p) => this.episodeOf(p));
  }

  /**
   * The episodes as finish() gives them, in its order, before their evidence is
   * made: episodeOf makes each. A big hunt's episodes quote ~135k events (5M
   * records, half the sign-ins from alerted IPs); made all at once they were
   * ~30 MB at the hunt's memory peak, made one at a time as alerts are written
   * they are garbage as soon as written.
   */
  finishPlans(): EpisodePlan[] {
    const out: EpisodePlan[] = [];
    for (const [ip, st] of this.byIp) {
      if (st.alerts.length === 0 || st.events.length === 0) continue;
      out.push(...this.episodesFor(ip, st));
    }
    out.sort((a, b) => compareInstants(a.start, b.start) || a.rule.localeCompare(b.rule) || a.ip.localeCompare(b.ip));
    return out;
  }

  /** The episode of a plan (finishPlans), with its evidence. */
  episodeOf(p: EpisodePlan): Episode {
    const t = this.table;
    const last = p.rows[p.rows.length - 1]!;
    const end: Instant = { ms: t.msOf(last), ns: t.nsOf(last) };
    const events = p.rows.map((r) => evidenceOf(t, r));
    return {
      id: p.id, rule: p.rule, ip: p.ip, start: p.start, end,
      networkAlerts: p.anchors.filter((a) => compareInstants(a.at, p.start) >= 0 && compareInstants(a.at, end) <= 0).map(withoutRules),
      events,
      users: [...new Set(events.map((e) => e.user).filter((u): u is string => !!u))].sort(),
    };
  }

  private state(ip: string): IpState {
    let st = this.byIp.get(ip);
    if (!st) {
      st = { alerts: [], events: [] };
      this.byIp.set(ip, st);
    }
    return st;
  }

  private isDuplicate(st: IpState, key: string): boolean {
    const seen = (st.seen ??= new Set());
    if (seen.has(key)) {
      this.stats.duplicateRecords++;
      return true;
    }
    seen.add(key);
    return false;
  }

  private excluded(ip: string): boolean {
    const reason = this.exclusionOf(ip);
    if (reason === null) return false;
    this.noteExcluded(ip, reason);
    return true;
  }

  private noteExcluded(ip: string, reason: ExclusionReason): void {
    if (this.excludedSeen.get(ip) === reason) return;
    this.excludedSeen.set(ip, reason);
    this.stats.excludedIps[reason]++;
    const samples = this.stats.excludedSamples[reason];
    if (samples.length < MAX_SAMPLES) samples.push(ip);
  }

  /**
   * The episodes of one IP. A network alert is "live" unless more than
   * maxUsersPerIp distinct users succeed from the IP in [tA, tA + window] (or, in
   * compatibility mode, more than maxEventsPerIp qualifying events). A qualifying
   * event matches when a live alert lies in [tE - window, tE]. Matched events of
   * one rule, in time order, fold into one episode until a gap longer than the
   * window; each episode is anchored on the earliest live alert matching its
   * first event, which makes its id deterministic whatever the arrival order.
   */
  private episodesFor(ip: string, st: IpState): EpisodePlan[] {
    const alerts = [...st.alerts].sort((a, b) => compareInstants(a.at, b.at));
    // Ties in time are ordered by the records themselves, not by arrival (which differs
    // between threads, passes and the fast and straightforward paths): same evidence, same order.
    // Rows, not objects: a busy address has tens of thousands of events, and objects made
    // for each here outlived the young generation and swelled the heap at a hunt's end.
    const t = this.table;
    const events = st.events.slice().sort((a, b) => t.msOf(a) - t.msOf(b) || t.nsOf(a) - t.nsOf(b) || byText(t.idOf(a), t.idOf(b)) ||
      byText(t.textOf(a, 'dataset'), t.textOf(b, 'dataset')) || byText(t.roleOf(a), t.roleOf(b)) || byText(t.textOf(a, 'user'), t.textOf(b, 'user')) ||
      byText(t.textOf(a, 'action'), t.textOf(b, 'action')) || byText(t.textOf(a, 'app'), t.textOf(b, 'app')));

    // The alerts that are not capped as shared infrastructure, per window length (rules may differ).
    const liveByWindow = new Map<number, AlertEntry[]>();
    const liveFor = (w: number): AlertEntry[] => {
      let live = liveByWindow.get(w);
      if (live) return live;
      const over = cappedAlerts(t, events, alerts, w, this.config.maxUsersPerIp, this.config.maxEventsPerIp);
      live = alerts.filter((_, i) => !over[i]);
      if (live.length < alerts.length) this.noteExcluded(ip, 'shared-infrastructure');
      liveByWindow.set(w, live);
      return live;
    };

    const out: EpisodePlan[] = [];
    this.rules.forEach((rule, i) => {
      const bit = 1 << i;
      const w = rule.windowMs;
      // Which live alerts anchor the episodes' evidence (a rule's anchor test chooses among them).
      const anchors = liveFor(w).filter((a) => (a.rules & bit) !== 0);
      if (anchors.length === 0) return;
      let plan: EpisodePlan | null = null;
      let episodeEnd: Instant | null = null;
      for (const r of events) {
        if ((t.rulesOf(r) & bit) === 0) continue;
        const first = firstLiveAlertFor(t, anchors, r, w);
        if (!first) continue;
        if (!plan || !episodeEnd || compareRowTo(t, r, episodeEnd) > 0) {
          plan = { id: episodeId(rule.id, ip, first.at), rule: rule.id, ip, start: first.at, rows: [], anchors };
          out.push(plan);
        }
        plan.rows.push(r);
        episodeEnd = { ms: t.msOf(r) + w, ns: t.nsOf(r) };
      }
    });
    return out;
  }
}

/**
 * An episode before its evidence is made (Correlator.finishPlans): its
 * qualifying events as rows of the correlator's table, in time order, and the
 * live alerts of its rule at its IP, of which those from its start to its last
 * event are its network-alert evidence.
 */
export interface EpisodePlan {
  readonly id: string;
  readonly rule: string;
  readonly ip: string;
  readonly start: Instant;
  readonly rows: number[];
  readonly anchors: readonly AlertEntry[];
}

/**
 * Which of the alerts (sorted by time) are capped as shared infrastructure:
 * more than maxUsers distinct users (or, in compatibility mode, more than
 * maxEvents qualifying events) in [at, at + window]. `events`: the IP's rows in
 * time order. One window slides over them with each user's count in it (both
 * its ends only move on): linear in rows and alerts, where a window scanned per
 * alert was their product, for an address a sender fills with both.
 * (A function of its own, not a closure made per IP: V8 optimized such a
 * closure's loop on its first run, before the test after it had any feedback,
 * and threw that code away again for each IP — ~1,000 deoptimizations a hunt.)
 */
function cappedAlerts(
  t: QualifyingTable, events: readonly number[], alerts: readonly AlertEntry[], windowMs: number, maxUsers: number, maxEvents: number | null,
): boolean[] {
  return slideCap(t, events, alerts.length, maxUsers, maxEvents, (r, i) => compareRowTo(t, r, alerts[i]!.at) < 0,
    (r, i) => compareRowTo(t, r, addMs(alerts[i]!.at, windowMs)) <= 0);
}

/**
 * The cap's test for windows 0..n-1 whose starts and ends only move on: one
 * window sliding over `rows` (in time order) with each user's count in it.
 * `before(r, i)`: row r lies before window i's start; `within(r, i)`: not past
 * its end. Window i is over the cap with more than maxUsers distinct users (or,
 * in compatibility mode, more than maxEvents rows) in it.
 */
function slideCap(
  t: QualifyingTable, rows: readonly number[], n: number, maxUsers: number, maxEvents: number | null,
  before: (r: number, i: number) => boolean, within: (r: number, i: number) => boolean,
): boolean[] {
  const inWindow = new Map<string, number>();
  const userOf = (r: number): string => (t.textOf(r, 'user') ?? '').toLowerCase();
  let lo = 0;
  let hi = 0;
  const out = new Array<boolean>(n);
  for (let i = 0; i < n; i++) {
    for (; hi < rows.length && within(rows[hi]!, i); hi++) {
      const u = userOf(rows[hi]!);
      inWindow.set(u, (inWindow.get(u) ?? 0) + 1);
    }
    for (; lo < hi && before(rows[lo]!, i); lo++) {
      const u = userOf(rows[lo]!);
      const k = inWindow.get(u)! - 1;
      if (k === 0) inWindow.delete(u);
      else inWindow.set(u, k);
    }
    out[i] = inWindow.size > maxUsers || (maxEvents !== null && hi - lo > maxEvents);
  }
  return out;
}

/** Row r's time against an instant (negative: earlier). */
function compareRowTo(t: QualifyingTable, r: number, at: Instant): number {
  const ms = t.msOf(r);
  return ms !== at.ms ? ms - at.ms : t.nsOf(r) - at.ns;
}


/**
 * Is there an alert time tA (ms, sorted) with tA <= t <= tA + window? Milliseconds,
 * with a millisecond of slack each side for the nanoseconds: a few events too many
 * are harmless (episodesFor compares exactly), one too few is not.
 */
export function withinAWindow(alertMs: ArrayLike<number>, t: number, windowMs: number): boolean {
  let lo = 0;
  let hi = alertMs.length;
  const from = t - windowMs - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (alertMs[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < alertMs.length && alertMs[lo]! <= t + 1;
}

/** What an alert shows of a qualifying event (fields that are absent are left out). */
function evidenceOf(t: QualifyingTable, r: number): QualifyingEvidence {
  const out: QualifyingEvidence = { at: { ms: t.msOf(r), ns: t.nsOf(r) }, dataset: t.textOf(r, 'dataset')! };
  for (const c of ['user', 'app', 'client', 'userAgent', 'category', 'action'] as const) {
    const v = t.textOf(r, c);
    if (v !== undefined) out[c] = v;
  }
  const id = t.idOf(r);
  if (id !== undefined) out.id = id;
  const detail = t.detailOf(r);
  if (detail !== undefined) out.detail = detail;
  return out;
}

function byText(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The earliest live alert (sorted by time) with tA in [t - window, t] for row r's time t, or null. */
function firstLiveAlertFor(t: QualifyingTable, live: NetworkAlertEvidence[], r: number, w: number): NetworkAlertEvidence | null {
  const ms = t.msOf(r);
  const ns = t.nsOf(r);
  const fromMs = ms - w;
  let lo = 0;
  let hi = live.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const a = live[mid]!.at;
    if (a.ms < fromMs || (a.ms === fromMs && a.ns < ns)) lo = mid + 1;
    else hi = mid;
  }
  const a = live[lo];
  return a !== undefined && (a.at.ms < ms || (a.at.ms === ms && a.at.ns <= ns)) ? a : null;
}

function episodeId(rule: string, ip: string, anchor: Instant): string {
  // (The one-shot hash: a Hash object per episode cost twice as much, thousands at a hunt's end.)
  return hash('sha256', `${rule}\u0000${ip}\u0000${anchor.ms}.${anchor.ns}`, 'hex').slice(0, 32);
}
