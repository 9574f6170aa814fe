// Why each rule did or did not fire for one source IP (issue #17 item 8): data
// only, for `crosswatch explain` (cli/explain.ts), GET /api/v1/explain/:ip and
// the web UI's panel to print.
//
// Given every decoded event of the IP, it walks what the correlator
// (correlator.ts) does, step by step, and says at each step what kept an event
// out, with the figures: the IP is special-purpose or allowlisted; a network
// alert does not match the rule's first base rule (the field that failed, with
// its value); a sign-in or mail access failed, is a record already counted, does
// not match the second base rule, comes before the first alert (wrong order) or
// after every alert's window; the alerts before it are dropped as shared
// infrastructure (distinct users in the window > maxUsersPerIp). The episodes
// are the real Correlator's over the same events, rules and settings — hunt's
// and serve's alert ids — and a rule fires here exactly when it makes one
// (test/explain.test.ts checks that on random inputs). The rules of hunt's
// general Sigma path (general.ts), given in opts.general, are explained by
// explain-general.ts, their verdicts the real GeneralDetector's.
import type { DecodedEvent, NormalizedEvent, Role } from '../model/event.js';
import { canonicalIp, specialPurpose } from '../model/ip.js';
import { addMs, compareInstants, diffMs, formatDuration, formatInstant, type Instant } from '../model/time.js';
import { Correlator } from './correlator.js';
import type { CorrelatorConfig } from './config.js';
import { sigmaMiss } from './explain-text.js';
import { explainGeneral, type GeneralRuleExplanation } from './explain-general.js';
import type { GeneralRules } from './general.js';
import type { QualifyingRole } from './rule.js';
import type { RuleDefinition } from './rules.js';

/** What became of a sign-in or mail access, for one rule. */
export type EventVerdict =
  /** It follows a live network alert within the window: part of an episode. */
  | 'matched'
  /** Not a successful sign-in / mail access (outcome failure or unknown). */
  | 'failed'
  /** The same record (same record id) was counted already. */
  | 'duplicate'
  /** The rule's second base rule does not take it. */
  | 'not-matching'
  /** The IP is special-purpose or allowlisted: nothing from it can fire. */
  | 'excluded'
  /** No network alert of the IP matches the rule's first base rule. */
  | 'no-alert'
  /** Before the first network alert. */
  | 'wrong-order'
  /** After the window of every network alert before it. */
  | 'outside-window'
  /** The network alerts before it within the window are dropped as shared infrastructure. */
  | 'capped';

export const EVENT_VERDICTS: readonly EventVerdict[] = ['matched', 'capped', 'outside-window', 'wrong-order', 'not-matching', 'failed', 'duplicate', 'excluded', 'no-alert'];

/** A network alert of the IP, as one rule sees it. */
export interface AlertExplanation {
  at: string;
  signature?: string;
  sensor?: string;
  dataset: string;
  id?: string;
  /** Where the record was read (file:line), when the caller knows. */
  where?: string;
  /** Whether the rule's first base rule takes it: it can anchor an episode. */
  anchor: boolean;
  /** When it is not an anchor: why (the field that failed, with its value; or the log source). */
  miss?: string;
  /** Its window [at, at + window] and what the shared-infrastructure cap counts in it (anchors only). */
  window?: {
    end: string;
    /** Distinct users with a successful sign-in or mail access from the IP in the window. */
    users: number;
    /** Successful sign-ins and mail accesses in the window (records counted once). */
    events: number;
    /** Dropped as shared infrastructure: users > maxUsersPerIp (or events > maxEventsPerIp). */
    capped: boolean;
    reason?: string;
  };
}

/** A sign-in or mail access of the IP, as one rule sees it. */
export interface EventExplanation {
  at: string;
  user?: string;
  app?: string;
  client?: string;
  userAgent?: string;
  outcome: string;
  /** event.code: an Entra sign-in's error code (50126: wrong password); an M365 record's record type. */
  code?: string;
  dataset: string;
  action?: string;
  id?: string;
  where?: string;
  verdict: EventVerdict;
  /** Why, with the figures. */
  reason: string;
  /** matched: the network alert it follows (the earliest live one within the window) and its episode. */
  anchor?: string;
  episode?: string;
}

/** An episode the correlator made: what becomes an alert (its id is the alert's event.id). */
export interface EpisodeExplanation {
  id: string;
  start: string;
  end: string;
  networkAlerts: Array<{ at: string; signature?: string; sensor?: string; id?: string }>;
  events: number;
  users: string[];
}

export interface RuleExplanation {
  id: string;
  name: string;
  windowMs: number;
  /** The window, written ("8h"). */
  window: string;
  /** The two base rules (ids), when the rule came from Sigma. */
  baseRules?: { anchor: string; qualifying: string };
  /** What qualifies: sign-ins or mail accesses. */
  role: QualifyingRole;
  fired: boolean;
  /** One line: how many episodes, or the main reason it did not fire. */
  summary: string;
  /** Every reason it did not fire, with figures (empty when it fired). */
  reasons: string[];
  /** The IP's network alerts in time order (at most MAX_LISTED_ALERTS; alertsOmitted says how many more). */
  alerts: AlertExplanation[];
  alertsOmitted: number;
  /** The IP's events of the rule's role in time order, at most MAX_LISTED_PER_VERDICT of each verdict. */
  events: EventExplanation[];
  eventsOmitted: number;
  /** Every event of the rule's role, by verdict. */
  verdicts: Partial<Record<EventVerdict, number>>;
  episodes: EpisodeExplanation[];
}

export interface IpExplanation {
  /** The IP, canonical. */
  ip: string;
  /** Special-purpose range or allowlist: nothing from the IP can fire. */
  excluded: { reason: 'special-purpose' | 'allowlist'; range: string; message: string } | null;
  settings: { maxUsersPerIp: number; maxEventsPerIp: number | null; allow: string[] };
  counts: {
    /** Events given for the IP (other IPs' are left out and counted in otherIp). */
    events: number;
    networkAlerts: number;
    signins: number;
    mailAccesses: number;
    /** Events that are neither network alerts nor sign-ins nor mail accesses. */
    other: number;
    otherIp: number;
    /** Records delivered again (same record id): counted once. */
    duplicateAlerts: number;
    duplicateEvents: number;
  };
  rules: RuleExplanation[];
  /** The rules of hunt's general Sigma path (explain-general.ts), when they were given (opts.general). */
  general?: GeneralRuleExplanation[];
}

export interface ExplainOptions {
  /** Where an event was read (file:line), for the listing. */
  where?: (ev: DecodedEvent) => string | undefined;
  /** The general Sigma path's rules (loadRuleSet's `general`): explained too, in `general`. */
  general?: GeneralRules | null;
  /** The records the general rules are explained over, when not `events` (serve keeps them apart). */
  generalEvents?: readonly DecodedEvent[];
}

/** The IP given to explain is not an IP address. */
export class InvalidIpError extends Error {
  constructor(readonly given: string) {
    super(`not an IP address: ${JSON.stringify(given.length > 100 ? `${given.slice(0, 100)}…` : given)}`);
    this.name = 'InvalidIpError';
  }
}

/** How reasons name the other events of a verdict ("and 2 more sign-ins in the wrong order"). */
const LABEL: Record<EventVerdict, string> = {
  matched: 'matched', capped: 'capped', 'outside-window': 'outside the window', 'wrong-order': 'in the wrong order',
  'not-matching': 'not taken by the second base rule', failed: 'failed', duplicate: 'duplicated', excluded: 'excluded', 'no-alert': 'with no alert',
};

export const MAX_LISTED_ALERTS = 200;
export const MAX_LISTED_PER_VERDICT = 50;

const NOUN: Record<QualifyingRole, { one: string; many: string }> = {
  signin: { one: 'sign-in', many: 'sign-ins' },
  mail_access: { one: 'mail access', many: 'mail accesses' },
};

/** "100ns", "0.2251ms", "8h", "8h 100ns": exact below a second, as precise as the times compared. */
export function howLong(ms: number): string {
  const sub = (x: number): string => (x < 0.001 ? `${Math.round(x * 1e6)}ns` : `${Number(x.toFixed(6))}ms`);
  const abs = Math.abs(ms);
  if (abs < 1000) return sub(abs);
  const whole = Math.floor(abs / 1000) * 1000;
  const rest = abs - whole;
  return `${formatDuration(whole)}${rest > 0 ? ` ${sub(rest)}` : ''}`;
}

/** An alert as the correlator keeps it: its dedup key (the correlator's) and its time. */
interface AlertItem {
  d: DecodedEvent;
  at: Instant;
}

/** A successful, first-counted sign-in or mail access: what the cap counts. */
interface Kept {
  d: DecodedEvent;
  at: Instant;
  /** The correlator's user key: name or email, lower-cased; '' when the record names none. */
  user: string;
}

/** The correlator's key for a network alert (correlator.ts add): the same record counts once. */
function alertKey(d: DecodedEvent): string {
  const ev = d.event;
  return ev.event.id !== undefined
    ? `a:${ev.event.dataset}:${ev.event.id}`
    : `a:${ev.event.dataset}:${d.at.ms}.${d.at.ns}:${ev.observer?.name ?? ''}:${ev.rule?.id ?? ev.rule?.name ?? ''}`;
}

function byTime<T extends { at: Instant }>(a: T, b: T): number {
  return compareInstants(a.at, b.at);
}

/** First index in sorted `xs` whose time is >= t (or > t when `after`). */
function lowerBound<T extends { at: Instant }>(xs: readonly T[], t: Instant, after = false): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareInstants(xs[mid]!.at, t);
    if (c < 0 || (after && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function ruleMiss(def: RuleDefinition, part: 'anchor' | 'qualifying', ev: NormalizedEvent): string {
  const rule = def.sigma?.[part];
  if (rule) return sigmaMiss(rule, ev);
  return `the rule's ${part === 'anchor' ? 'first' : 'second'} base rule does not take it`;
}

/**
 * Why each rule did or did not fire for `ipText`, from `events` (every decoded
 * event of that IP, in any order; events of other IPs are counted and left out)
 * with these rules and settings. Throws InvalidIpError when ipText is no IP.
 */
export function explainIp(ipText: string, events: readonly DecodedEvent[], rules: readonly RuleDefinition[], config: CorrelatorConfig, opts: ExplainOptions = {}): IpExplanation {
  const ip = canonicalIp(ipText);
  if (ip === null) throw new InvalidIpError(ipText);
  const where = opts.where ?? (() => undefined);

  const counts: IpExplanation['counts'] = { events: 0, networkAlerts: 0, signins: 0, mailAccesses: 0, other: 0, otherIp: 0, duplicateAlerts: 0, duplicateEvents: 0 };
  const special = specialPurpose.match(ip);
  const allowed = special === null ? config.allow.match(ip) : null;
  const excluded: IpExplanation['excluded'] = special !== null
    ? { reason: 'special-purpose', range: special, message: `${ip} is in the special-purpose range ${special}: not a public source, nothing from it can fire` }
    : allowed !== null
      ? { reason: 'allowlist', range: allowed, message: `${ip} is allowlisted (${allowed}): nothing from it can fire` }
      : null;

  // The correlator's steps, in the order the events are given (as it would take them).
  const qualifyingRoles = new Set<Role>(rules.map((r) => r.correlation.qualifying.role));
  const seen = new Map<string, DecodedEvent>();
  const alerts: AlertItem[] = [];
  const kept: Kept[] = [];
  /** Each qualifying-role event with what the first steps made of it (null: kept). */
  const qualifying: Array<{ d: DecodedEvent; role: QualifyingRole; early: { verdict: 'failed' | 'duplicate'; reason: string } | null }> = [];
  const mine: DecodedEvent[] = [];
  for (const d of events) {
    const ev = d.event;
    if (ev.source?.ip !== ip) {
      counts.otherIp++;
      continue;
    }
    mine.push(d);
    counts.events++;
    const role = ev.crosswatch.role;
    if (role === 'network_alert') {
      counts.networkAlerts++;
      const key = alertKey(d);
      if (seen.has(key)) {
        counts.duplicateAlerts++;
        continue;
      }
      seen.set(key, d);
      alerts.push({ d, at: d.at });
      continue;
    }
    if (role === 'signin') counts.signins++;
    else if (role === 'mail_access') counts.mailAccesses++;
    else {
      counts.other++;
      continue;
    }
    if (!qualifyingRoles.has(role)) continue;
    const noun = NOUN[role].one;
    if (ev.event.outcome !== 'success') {
      // Entra's error code says why (50126: wrong password); an M365 record's event.code is its record type.
      const code = ev.event.code !== undefined && ev.event.dataset === 'azure.signinlogs' ? `, error code ${ev.event.code}` : '';
      qualifying.push({ d, role, early: { verdict: 'failed', reason: `failed ${noun} (outcome ${ev.event.outcome ?? 'not given'}${code}): only successful ones qualify` } });
      continue;
    }
    if (ev.event.id !== undefined) {
      const key = `${role}:${ev.event.id}`;
      const first = seen.get(key);
      if (first) {
        counts.duplicateEvents++;
        qualifying.push({ d, role, early: { verdict: 'duplicate', reason: `the same record (${noun} ${ev.event.id}, first seen at ${formatInstant(first.at)}) again: counted once` } });
        continue;
      }
      seen.set(key, d);
    }
    qualifying.push({ d, role, early: null });
    kept.push({ d, at: d.at, user: (ev.user?.name ?? ev.user?.email ?? '').toLowerCase() });
  }
  alerts.sort(byTime);
  kept.sort(byTime);
  qualifying.sort((a, b) => compareInstants(a.d.at, b.d.at));

  // The real correlator over the same events: its episodes are hunt's and serve's alerts.
  const correlator = new Correlator(config, rules.map((r) => r.correlation));
  for (const d of mine) correlator.add(d);
  const episodes = correlator.finish().filter((e) => e.ip === ip);

  // The shared-infrastructure cap, per alert and window length (correlator.ts episodesFor).
  const capCache = new Map<number, Array<NonNullable<AlertExplanation['window']>>>();
  const capFor = (w: number): Array<NonNullable<AlertExplanation['window']>> => {
    let out = capCache.get(w);
    if (out) return out;
    out = alerts.map((a) => {
      const end = addMs(a.at, w);
      const from = lowerBound(kept, a.at);
      const to = lowerBound(kept, end, true);
      const users = new Set<string>();
      for (let i = from; i < to; i++) users.add(kept[i]!.user);
      const n = to - from;
      const overUsers = users.size > config.maxUsersPerIp;
      const overEvents = config.maxEventsPerIp !== null && n > config.maxEventsPerIp;
      const reason = overUsers
        ? `${users.size} distinct users with a successful sign-in or mail access within the window of the ${formatInstant(a.at)} alert (to ${formatInstant(end)}) > maxUsersPerIp ${config.maxUsersPerIp}: shared infrastructure`
        : overEvents
          ? `${n} successful sign-ins and mail accesses within the window of the ${formatInstant(a.at)} alert (to ${formatInstant(end)}) > maxEventsPerIp ${config.maxEventsPerIp}: shared infrastructure (compatibility cap)`
          : undefined;
      return { end: formatInstant(end), users: users.size, events: n, capped: overUsers || overEvents, ...(reason ? { reason } : {}) };
    });
    capCache.set(w, out);
    return out;
  };

  const explained = rules.map((def): RuleExplanation => {
    const rule = def.correlation;
    const w = rule.windowMs;
    const role = rule.qualifying.role;
    const noun = NOUN[role];
    const caps = capFor(w);
    const alertRows: AlertExplanation[] = [];
    /** The anchors (alerts the first base rule takes), in time order, with whether they are live. */
    const anchors: Array<{ at: Instant; live: boolean; cap: NonNullable<AlertExplanation['window']> }> = [];
    alerts.forEach((a, i) => {
      const ev = a.d.event;
      const anchor = rule.anchor.test(ev);
      const row: AlertExplanation = {
        at: formatInstant(a.at), dataset: ev.event.dataset, anchor,
        ...(ev.rule?.name !== undefined ? { signature: ev.rule.name } : {}),
        ...((ev.observer?.name ?? ev.observer?.product) !== undefined ? { sensor: ev.observer?.name ?? ev.observer?.product } : {}),
        ...(ev.event.id !== undefined ? { id: ev.event.id } : {}),
        ...(where(a.d) !== undefined ? { where: where(a.d) } : {}),
      };
      if (anchor) {
        row.window = caps[i]!;
        anchors.push({ at: a.at, live: !excluded && !caps[i]!.capped, cap: caps[i]! });
      } else {
        row.miss = ruleMiss(def, 'anchor', ev);
      }
      alertRows.push(row);
    });

    const mineEpisodes = episodes.filter((e) => e.rule === rule.id);
    // An event's episode, by what the episode keeps of it (time, record id, dataset, user).
    const eventKey = (at: Instant, id: string | undefined, dataset: string, user: string | undefined): string =>
      JSON.stringify([at.ms, at.ns, id ?? null, dataset, user ?? null]);
    const episodeByEvent = new Map<string, string>();
    for (const e of mineEpisodes) for (const x of e.events) episodeByEvent.set(eventKey(x.at, x.id, x.dataset, x.user), e.id);
    const episodeOf = (d: DecodedEvent): string | undefined =>
      episodeByEvent.get(eventKey(d.at, d.event.event.id, d.event.event.dataset, d.event.user?.name ?? d.event.user?.email));

    const rows: EventExplanation[] = [];
    /** How far a wrong-order or outside-window event is from a window (ms): the nearest miss is the one reasons quote. */
    const gap = new Map<EventExplanation, number>();
    let gapMs: number | undefined;
    const verdicts: Partial<Record<EventVerdict, number>> = {};
    for (const q of qualifying) {
      if (q.role !== role) continue;
      const ev = q.d.event;
      let verdict: EventVerdict;
      let reason: string;
      let anchorAt: string | undefined;
      gapMs = undefined;
      if (q.early) {
        ({ verdict, reason } = q.early);
      } else if (!rule.qualifying.test(ev)) {
        verdict = 'not-matching';
        reason = ruleMiss(def, 'qualifying', ev);
      } else if (excluded) {
        verdict = 'excluded';
        reason = excluded.message;
      } else if (anchors.length === 0) {
        verdict = 'no-alert';
        reason = alerts.length === 0 ? 'no network alert for this IP' : `none of the ${alerts.length} network alert(s) of this IP is taken by the rule's first base rule`;
      } else {
        const t = q.d.at;
        // Anchors with tA in [t - w, t].
        const from = lowerBound(anchors, addMs(t, -w));
        const to = lowerBound(anchors, t, true);
        if (to > from) {
          const live = anchors.slice(from, to).find((a) => a.live);
          if (live) {
            verdict = 'matched';
            anchorAt = formatInstant(live.at);
            reason = `${howLong(diffMs(t, live.at))} after the network alert at ${anchorAt}, within the window of ${formatDuration(w)}`;
          } else {
            verdict = 'capped';
            const first = anchors[from]!;
            reason = `the network alert(s) before it within the window are dropped: ${first.cap.reason ?? 'shared infrastructure'}`;
          }
        } else if (to === 0) {
          verdict = 'wrong-order';
          const first = anchors[0]!;
          gapMs = diffMs(first.at, t);
          reason = `wrong order: ${formatInstant(t)} is ${howLong(gapMs)} before the first network alert at ${formatInstant(first.at)}`;
        } else {
          verdict = 'outside-window';
          const last = anchors[to - 1]!;
          gapMs = diffMs(t, last.at) - w;
          reason = `outside the window: ${formatInstant(t)} is ${howLong(diffMs(t, last.at))} after the last network alert before it (${formatInstant(last.at)}); window ${formatDuration(w)}`;
        }
      }
      verdicts[verdict] = (verdicts[verdict] ?? 0) + 1;
      const episode = verdict === 'matched' ? episodeOf(q.d) : undefined;
      const w2 = where(q.d);
      const row: EventExplanation = {
        at: formatInstant(q.d.at),
        ...(ev.user?.name ?? ev.user?.email ? { user: ev.user?.name ?? ev.user?.email } : {}),
        ...(ev.client?.app !== undefined ? { app: ev.client.app } : {}),
        ...(ev.client?.client_app !== undefined ? { client: ev.client.client_app } : {}),
        ...(ev.user_agent?.original !== undefined ? { userAgent: ev.user_agent.original } : {}),
        outcome: ev.event.outcome ?? 'unknown',
        ...(ev.event.code !== undefined ? { code: ev.event.code } : {}),
        dataset: ev.event.dataset,
        ...(ev.event.action !== undefined ? { action: ev.event.action } : {}),
        ...(ev.event.id !== undefined ? { id: ev.event.id } : {}),
        ...(w2 !== undefined ? { where: w2 } : {}),
        verdict, reason,
        ...(anchorAt !== undefined ? { anchor: anchorAt } : {}),
        ...(episode !== undefined ? { episode } : {}),
      };
      rows.push(row);
      if (gapMs !== undefined) gap.set(row, gapMs);
    }

    const fired = (verdicts.matched ?? 0) > 0;
    const reasons: string[] = [];
    if (!fired) {
      if (excluded) reasons.push(excluded.message);
      if (alerts.length === 0) reasons.push('no network alert for this IP');
      else if (anchors.length === 0) {
        const first = alertRows.find((r) => !r.anchor);
        reasons.push(`none of the ${alerts.length} network alert(s) is taken by the first base rule${first?.miss ? `: ${first.miss}` : ''}`);
      }
      const ofRole = rows.length;
      if (ofRole === 0) reasons.push(`no ${noun.one} from this IP`);
      for (const v of EVENT_VERDICTS) {
        if (v === 'matched' || v === 'excluded' || v === 'no-alert' || v === 'duplicate') continue;
        const these = rows.filter((r) => r.verdict === v);
        if (these.length === 0) continue;
        // The nearest miss speaks for them all: the one closest to a window.
        let best = these[0]!;
        for (const r of these) if ((gap.get(r) ?? Infinity) < (gap.get(best) ?? Infinity)) best = r;
        const more = these.length - 1;
        reasons.push(more === 0 ? best.reason : `${best.reason} (and ${more} more ${more === 1 ? noun.one : noun.many} ${LABEL[v]})`);
      }
      const capped = anchors.filter((a) => a.cap.capped).map((a) => a.cap.reason!);
      for (const c of capped) if (!reasons.some((r) => r.includes(c))) reasons.push(c);
      if (reasons.length === 0) reasons.push('no episode');
    }
    const summary = fired
      ? `fired: ${mineEpisodes.length} episode(s) (${mineEpisodes.map((e) => e.id).join(', ')}), ${verdicts.matched} ${verdicts.matched === 1 ? noun.one : noun.many} within the window of a network alert`
      : `did not fire: ${reasons[0]}`;

    return {
      id: def.id,
      name: def.name,
      windowMs: w,
      window: formatDuration(w),
      ...(def.sigma ? { baseRules: { anchor: def.sigma.anchor.id, qualifying: def.sigma.qualifying.id } } : {}),
      role,
      fired,
      summary,
      reasons,
      alerts: alertRows.slice(0, MAX_LISTED_ALERTS),
      alertsOmitted: Math.max(0, alertRows.length - MAX_LISTED_ALERTS),
      ...listed(rows),
      verdicts,
      episodes: mineEpisodes.map((e) => ({
        id: e.id,
        start: formatInstant(e.start),
        end: formatInstant(e.end),
        networkAlerts: e.networkAlerts.map((a) => ({
          at: formatInstant(a.at),
          ...(a.signature !== undefined ? { signature: a.signature } : {}),
          ...(a.sensor !== undefined ? { sensor: a.sensor } : {}),
          ...(a.id !== undefined ? { id: a.id } : {}),
        })),
        events: e.events.length,
        users: e.users,
      })),
    };
  });

  return {
    ip,
    excluded,
    settings: { maxUsersPerIp: config.maxUsersPerIp, maxEventsPerIp: config.maxEventsPerIp, allow: [...config.allow.cidrs] },
    counts,
    rules: explained,
    ...(opts.general ? { general: explainGeneral(ip, opts.generalEvents ?? mine, opts.general, config, { excluded, where }) } : {}),
  };
}

/** At most MAX_LISTED_PER_VERDICT events of each verdict, in time order. */
function listed(rows: EventExplanation[]): { events: EventExplanation[]; eventsOmitted: number } {
  const taken = new Map<EventVerdict, number>();
  const events: EventExplanation[] = [];
  for (const r of rows) {
    const n = taken.get(r.verdict) ?? 0;
    if (n >= MAX_LISTED_PER_VERDICT) continue;
    taken.set(r.verdict, n + 1);
    events.push(r);
  }
  return { events, eventsOmitted: rows.length - events.length };
}
