// Episode → alert: the one function hunt and serve both use to turn the
// correlator's episodes into alert documents (model/alert.ts), with the rule's
// name, severity and threat, and the evidence that explains it.
import type { Episode, QualifyingEvidence } from './episode.js';
import type { RuleDefinition } from './rules.js';
import { MAX_EVIDENCE_ALERTS, MAX_EVIDENCE_EVENTS, type AlertDocument, type EvidenceEvent } from '../model/alert.js';
import { diffMs, formatDuration, formatInstant } from '../model/time.js';

/**
 * The alert of each episode, in the episodes' order. Each episode names the rule
 * that made it; the correlator makes episodes only of the rules it was given, so
 * a rule missing here is a program error.
 */
export function alertsOf(episodes: readonly Episode[], rules: readonly RuleDefinition[], raisedAt: Date): AlertDocument[] {
  return [...alertDocuments(episodes, rules, raisedAt)];
}

/**
 * alertsOf one document at a time, made as it is read: a big hunt's alerts are
 * tens of MB of documents (25k alerts, 100 MB of NDJSON at 5M records with half
 * the sign-ins from alerted IPs), which need not all be in memory at once.
 */
export function* alertDocuments(episodes: Iterable<Episode>, rules: readonly RuleDefinition[], raisedAt: Date): Generator<AlertDocument> {
  const byId = new Map(rules.map((r) => [r.id, r]));
  for (const ep of episodes) {
    const rule = byId.get(ep.rule);
    if (!rule) throw new Error(`no rule definition for ${ep.rule}`);
    yield alertDocument(ep, rule, raisedAt);
  }
}

function evidenceEvent(e: QualifyingEvidence): EvidenceEvent {
  const d = e.detail;
  return clean({
    '@timestamp': formatInstant(e.at), user: e.user, app: e.app, app_id: d?.app_id, client: e.client, client_app_id: d?.client_app_id,
    user_agent: e.userAgent, authentication: d?.authentication, conditional_access_status: d?.conditional_access_status,
    risk: d?.risk, location: d?.location, category: e.category, action: e.action, dataset: e.dataset, id: e.id,
  });
}

function threatOf(t: NonNullable<RuleDefinition['threat']>): NonNullable<AlertDocument['threat']> {
  return {
    framework: t.framework,
    tactic: { id: [t.tactic.id], name: [t.tactic.name], reference: [t.tactic.reference] },
    technique: { id: [t.technique.id], name: [t.technique.name], reference: [t.technique.reference] },
  };
}

/**
 * The object without its undefined fields, as a copy: deleting them in place
 * turned V8's objects into slow dictionaries, which JSON.stringify then walked
 * slowly too (a tenth of a second of a 25k-alert hunt's output).
 */
function clean<T extends object>(o: T): T {
  const out: Partial<T> = {};
  for (const k in o) if (o[k] !== undefined) out[k] = o[k];
  return out as T;
}

export function alertDocument(ep: Episode, rule: RuleDefinition, raisedAt: Date): AlertDocument {
  const firstEvent = ep.events[0]!;
  const firstAlert = ep.networkAlerts[0];
  const delay = diffMs(firstEvent.at, ep.start);
  const users = ep.users;
  const what = rule.correlation.qualifying.verb;
  const windowMs = rule.correlation.windowMs;
  const who = users.length === 0 ? 'an account' : users.length === 1 ? users[0]! : `${users.length} users (${users.slice(0, 3).join(', ')}${users.length > 3 ? ', …' : ''})`;
  const sig = firstAlert?.signature ? `"${firstAlert.signature}"` : 'a network alert';
  const message =
    `${who} ${what} from ${ep.ip} ${formatDuration(delay)} after ${sig}` +
    `${firstAlert?.sensor ? ` from ${firstAlert.sensor}` : ''} for the same IP ` +
    `(${ep.networkAlerts.length} network alert(s), ${ep.events.length} qualifying event(s) within ${formatDuration(windowMs)})`;
  return {
    '@timestamp': raisedAt.toISOString(),
    message,
    event: {
      kind: 'alert',
      id: ep.id,
      dataset: 'crosswatch.alerts',
      severity: rule.risk_score,
      risk_score: rule.risk_score,
      start: formatInstant(ep.start),
      end: formatInstant(ep.end),
    },
    rule: clean({ id: rule.id, name: rule.name, description: rule.description, reference: rule.references[0] }),
    ...(rule.threat ? { threat: threatOf(rule.threat) } : {}),
    source: { ip: ep.ip },
    user: { name: users },
    related: { ip: [ep.ip], user: users },
    crosswatch: {
      window_ms: windowMs,
      delay_ms: delay,
      evidence: {
        network_alert_count: ep.networkAlerts.length,
        event_count: ep.events.length,
        user_count: users.length,
        network_alerts: ep.networkAlerts.slice(0, MAX_EVIDENCE_ALERTS).map((a) =>
          clean({ '@timestamp': formatInstant(a.at), signature: a.signature, sensor: a.sensor, dataset: a.dataset, id: a.id, severity: a.severity }),
        ),
        events: ep.events.slice(0, MAX_EVIDENCE_EVENTS).map(evidenceEvent),
      },
    },
  };
}
