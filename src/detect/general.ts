// The general Sigma path: every alerting rule the correlator (rule.ts) cannot
// run — detections that alert on single events, event_count, value_count and
// temporal correlations, chains, other groupings — evaluated exactly as the
// specification says by the Sigma correlator (src/sigma/correlate.ts). Each
// event is tested against the rules' base detections once; what matched goes to
// the Sigma correlator with its fields, and is kept as evidence. hunt feeds it
// every decoded record (a full pass: its rules may test any field).
//
// Engine policy, as for the built-ins: a correlation grouped by source.ip takes
// no event whose source IP is special-purpose or allowlisted (DESIGN.md §1). The
// shared-infrastructure cap is the built-ins' alone.
import { createHash } from 'node:crypto';
import type { DecodedEvent, NormalizedEvent } from '../model/event.js';
import { fieldsOf } from '../model/fields.js';
import { specialPurpose } from '../model/ip.js';
import { formatInstant, formatDuration, type Instant } from '../model/time.js';
import { MAX_EVIDENCE_ALERTS, MAX_EVIDENCE_EVENTS, type SigmaAlertDocument, type EvidenceEvent } from '../model/alert.js';
import { SigmaCorrelator, type CorrelationEpisode } from '../sigma/correlate.js';
import type { RuleSet } from '../sigma/ruleset.js';
import type { SigmaRule } from '../sigma/types.js';
import type { CorrelatorConfig } from './config.js';
import { eventTest } from './rule.js';
import type { EventTest } from './logsource.js';

/** What an alert of a general rule says beyond the Sigma rule (its `crosswatch:` block, levels). */
export interface GeneralAlertMeta {
  id: string;
  name: string;
  description: string;
  risk_score: number;
  reference?: string;
  /** The rule's author, shown with its alerts (SigmaHQ's licence, DRL 1.1, asks for the credit). */
  author?: string;
}

export interface GeneralRules {
  /** The rules the Sigma correlator runs: the general alerting rules and what they reference. */
  set: RuleSet;
  /** Per alerting rule id, what its alerts say. */
  meta: ReadonlyMap<string, GeneralAlertMeta>;
}

/** An event as evidence, kept from the moment it matched a base rule. */
interface Kept {
  at: Instant;
  role: string;
  evidence: EvidenceEvent;
  signature?: string;
  sensor?: string;
}

/**
 * The general rules' base detections, compiled once: which of them an event
 * matches, after the engine's policy. Shared by the detector and by serve's
 * decoders (src/stream/general-stream.ts), which keep what matched.
 */
export class GeneralMatcher {
  private readonly tests: Array<{ id: string; test: EventTest }> = [];
  /** Detections that alert on each matching event. */
  readonly single: ReadonlySet<string>;
  /** Correlations grouped by source.ip: their base rules take no excluded source IP. */
  private readonly byIpInputs: ReadonlySet<string>;

  constructor(readonly rules: GeneralRules, private readonly config: CorrelatorConfig) {
    for (const d of rules.set.detections) {
      const t = eventTest(d);
      // (The loader checked every log source: a string here is a program error.)
      if (typeof t === 'string') throw new Error(`${d.id}: ${t}`);
      this.tests.push({ id: d.id, test: t });
    }
    this.single = new Set(rules.set.alerting.filter((r) => r.kind === 'detection').map((r) => r.id));
    const byIp = new Set<string>();
    for (const c of rules.set.correlations) {
      if (c.rule.groupBy.includes('source.ip')) for (const i of c.inputs) byIp.add(i.id);
    }
    this.byIpInputs = byIp;
  }

  /** The ids of the detections that take the event (null: none); `excluded` when the policy dropped some. */
  match(ev: NormalizedEvent): { matched: string[]; excluded: boolean } | null {
    let matched: string[] | null = null;
    for (const { id, test } of this.tests) {
      if (!test(ev)) continue;
      (matched ??= []).push(id);
    }
    if (!matched) return null;
    const ip = ev.source?.ip;
    if (ip && (specialPurpose.match(ip) !== null || this.config.allow.match(ip) !== null)) {
      const before = matched.length;
      matched = matched.filter((id) => !this.byIpInputs.has(id));
      return { matched, excluded: matched.length < before };
    }
    return { matched, excluded: false };
  }
}

export class GeneralDetector {
  private readonly matcher: GeneralMatcher;
  private readonly correlator: SigmaCorrelator;
  private readonly singles: Array<{ rule: string; key: string; at: Instant }> = [];
  private readonly singleSeen = new Set<string>();
  private readonly kept = new Map<string, Kept>();
  readonly stats = { matched: 0, excluded: 0 };

  /** `matcher`: one compiled before (serve recomputes many groups with the same rules). */
  constructor(private readonly rules: GeneralRules, config: CorrelatorConfig, matcher?: GeneralMatcher) {
    this.matcher = matcher ?? new GeneralMatcher(rules, config);
    this.correlator = new SigmaCorrelator(rules.set, { maxEvidence: MAX_EVIDENCE_EVENTS + MAX_EVIDENCE_ALERTS });
  }

  add(d: DecodedEvent): void {
    const m = this.matcher.match(d.event);
    if (!m) return;
    this.stats.matched++;
    if (m.excluded) this.stats.excluded++;
    const key = eventKey(d.event);
    if (!this.kept.has(key)) this.kept.set(key, keep(d));
    for (const id of m.matched) {
      if (!this.matcher.single.has(id) || this.singleSeen.has(`${id}\u0000${key}`)) continue;
      this.singleSeen.add(`${id}\u0000${key}`);
      this.singles.push({ rule: id, key, at: d.at });
    }
    this.correlator.add({ ms: d.at.ms, ns: d.at.ns, get: fieldsOf(d.event), matched: m.matched, key });
  }

  /** End of input: one alert per episode (and per matching event of a single-event rule), ordered by start, rule. */
  finish(raisedAt: Date): SigmaAlertDocument[] {
    const out: SigmaAlertDocument[] = [];
    for (const ep of this.correlator.finish()) out.push(this.episodeAlert(ep, raisedAt));
    for (const s of this.singles) out.push(this.singleAlert(s.rule, s.key, s.at, raisedAt));
    return out.sort((a, b) => (a.event.start < b.event.start ? -1 : a.event.start > b.event.start ? 1 : a.rule.id < b.rule.id ? -1 : 1));
  }

  private episodeAlert(ep: CorrelationEpisode, raisedAt: Date): SigmaAlertDocument {
    const rule = this.rules.set.lookup(ep.ruleId)!;
    const evidence = ep.events.map((k) => this.kept.get(k)).filter((k): k is Kept => k !== undefined);
    const span = rule.kind === 'correlation' ? rule.timespanMs : 0;
    const group = Object.entries(ep.group).map(([k, v]) => `${k} ${v}`).join(', ');
    const what = rule.kind === 'correlation' ? `${ep.matches} match${ep.matches === 1 ? '' : 'es'} of ${rule.type} within ${formatDuration(span)}` : 'a match';
    return this.document(rule, ep.id, ep.start, ep.end, evidence, ep.events.length + ep.moreEvents, ep.group, `${rule.title}: ${what} for ${group}`, span, raisedAt);
  }

  private singleAlert(ruleId: string, key: string, at: Instant, raisedAt: Date): SigmaAlertDocument {
    const rule = this.rules.set.lookup(ruleId)!;
    const k = this.kept.get(key)!;
    const id = singleAlertId(ruleId, key, at);
    const who = k.evidence.user ? ` by ${k.evidence.user}` : '';
    return this.document(rule, id, at, at, [k], 1, {}, `${rule.title}: ${k.evidence.action ?? k.evidence.dataset}${who}`, 0, raisedAt);
  }

  private document(
    rule: SigmaRule, id: string, start: Instant, end: Instant, evidence: Kept[], total: number,
    group: Record<string, string>, message: string, windowMs: number, raisedAt: Date,
  ): SigmaAlertDocument {
    const meta = this.rules.meta.get(rule.id)!;
    const alerts = evidence.filter((e) => e.role === 'network_alert');
    const events = evidence.filter((e) => e.role !== 'network_alert');
    const users = [...new Set(evidence.map((e) => e.evidence.user).filter((u): u is string => !!u))].sort();
    const ips = [...new Set([group['source.ip'], ...evidence.map((e) => e.evidence.source_ip)].filter((x): x is string => !!x))].sort();
    const ip = group['source.ip'] ?? (ips.length === 1 ? ips[0] : undefined);
    return {
      '@timestamp': raisedAt.toISOString(),
      message,
      event: {
        kind: 'alert', id, dataset: 'crosswatch.alerts', severity: meta.risk_score, risk_score: meta.risk_score,
        start: formatInstant(start), end: formatInstant(end),
      },
      rule: {
        id: meta.id, name: meta.name, description: meta.description,
        ...(meta.reference ? { reference: meta.reference } : {}), ...(meta.author ? { author: [meta.author] } : {}),
      },
      ...(ip ? { source: { ip } } : {}),
      user: { name: users },
      related: { ip: ips, user: users },
      crosswatch: {
        window_ms: windowMs,
        delay_ms: end.ms - start.ms,
        ...(Object.keys(group).length > 0 ? { group } : {}),
        evidence: {
          network_alert_count: alerts.length,
          event_count: Math.max(events.length, total - alerts.length),
          user_count: users.length,
          network_alerts: alerts.slice(0, MAX_EVIDENCE_ALERTS).map((a) => clean({
            '@timestamp': a.evidence['@timestamp'], signature: a.signature, sensor: a.sensor, dataset: a.evidence.dataset, id: a.evidence.id,
          })),
          events: events.slice(0, MAX_EVIDENCE_EVENTS).map((e) => e.evidence),
        },
      },
    };
  }
}

/** A single-event detection's alert id: the rule, the event and its time (explain-general.ts names the same alerts). */
export function singleAlertId(ruleId: string, key: string, at: Instant): string {
  return createHash('sha256').update(`${ruleId}\u0000${key}\u0000${at.ms}.${at.ns}`).digest('hex').slice(0, 32);
}

/** The same source record is one event (DESIGN.md §1): its id when it has one, else its content. */
export function eventKey(e: NormalizedEvent): string {
  if (e.event.id !== undefined) return `${e.crosswatch.role}:${e.event.dataset}:${e.event.id}`;
  return `${e.crosswatch.role}:h:${createHash('sha256').update(JSON.stringify(e)).digest('base64url')}`;
}

function keep(d: DecodedEvent): Kept {
  const e = d.event;
  return {
    at: d.at,
    role: e.crosswatch.role,
    ...(e.rule?.name ? { signature: e.rule.name } : {}),
    ...(e.observer?.name ?? e.observer?.product ? { sensor: e.observer?.name ?? e.observer?.product } : {}),
    evidence: clean({
      '@timestamp': e['@timestamp'], user: e.user?.name ?? e.user?.email, app: e.client?.app, client: e.client?.client_app,
      user_agent: e.user_agent?.original, category: e.crosswatch.category, action: e.event.action, dataset: e.event.dataset, id: e.event.id,
      outcome: e.event.outcome, source_ip: e.source?.ip,
    }) as EvidenceEvent,
  };
}

function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}
